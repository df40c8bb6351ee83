// `cancelcheck replay`: a --json document's violations replayed in the reference executor.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/app/run_tool.h"

namespace cc {
namespace {

using test::run_tool;
using test::temp_file;

const char* const kTimerSpec = "specs/seeds/000_cancel_sent_from_timer.spec";  // CR004 at a step
const char* const kLostCancelSpec = "specs/kmdf/cr003_lost_cancel.spec";       // CR003 at the end
const char* const kSendFailSpec = "specs/kmdf/cr005_never_completed.spec";     // send:fail choice

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return nlohmann::json::parse(s.str());
}

/// Runs check --json on a corpus spec and returns the document.
nlohmann::json checked(const std::string& spec) {
  const std::string json = temp_file("", ".json");
  auto r = run_tool("check -q " + spec + " --json " + json);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  nlohmann::json doc = read_json(json);
  std::remove(json.c_str());
  return doc;
}

std::string write(const nlohmann::json& doc) {
  return temp_file(doc.dump(2), ".json");
}

nlohmann::json& first_violation(nlohmann::json& doc) {
  return doc["specs"][0]["violations"][0];
}

TEST(ReplayCli, CorpusViolationReproduces) {
  nlohmann::json doc = checked(kTimerSpec);
  EXPECT_TRUE(first_violation(doc)["replayed"].get<bool>()) << "check confirms every violation";
  const std::string path = write(doc);
  auto r = run_tool("replay " + path);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("CR004 use-after-free reproduced at step"), std::string::npos) << r.out;
  std::remove(path.c_str());
}

TEST(ReplayCli, NdisAndAppcViolationsReproduce) {
  struct Case {
    const char* spec;
    const char* expected;
  };
  for (const Case& c : {
           Case{"specs/ndis/cr001_unlink_without_lock.spec",
                "CR001 double-completion reproduced at step 19"},
           Case{"specs/ndis/cr003_cancel_not_propagated.spec",
                "CR003 lost-cancel reproduced at the end state"},
           Case{"specs/ndis/cr012_cancel_id_collision.spec",
                "CR012 cancel-id-collision reproduced at step 5"},
           Case{"specs/appc/cr002_reuse_vcb_on_already.spec",
                "CR002 use-after-reuse reproduced at step"},
           Case{"specs/appc/cr004_cancel_and_message_both_handled.spec",
                "CR004 use-after-free reproduced at step"},
       }) {
    nlohmann::json doc = checked(c.spec);
    EXPECT_TRUE(first_violation(doc)["replayed"].get<bool>()) << c.spec;
    const std::string path = write(doc);
    auto r = run_tool("replay " + path);
    EXPECT_EQ(r.exit_code, 1) << c.spec << r.out << r.err;
    EXPECT_NE(r.out.find(c.expected), std::string::npos) << r.out;
    std::remove(path.c_str());
  }
}

TEST(ReplayCli, EndStateViolationReproduces) {
  nlohmann::json doc = checked(kLostCancelSpec);
  const std::string path = write(doc);
  auto r = run_tool("replay " + path);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("CR003 lost-cancel reproduced at the end state"), std::string::npos)
      << r.out;
  std::remove(path.c_str());
}

TEST(ReplayCli, SpecArgumentOverridesTheRecordedPath) {
  nlohmann::json doc = checked(kTimerSpec);
  doc["specs"][0]["path"] = "/nonexistent/moved.spec";
  const std::string path = write(doc);
  auto r = run_tool("replay " + path + " " + kTimerSpec);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  auto missing = run_tool("replay " + path);
  EXPECT_EQ(missing.exit_code, 2) << missing.out << missing.err;
  std::remove(path.c_str());
}

TEST(ReplayCli, StepNamingAnActivityThatCannotMoveExitsTwo) {
  nlohmann::json doc = checked(kTimerSpec);
  nlohmann::json& trace = first_violation(doc)["trace"];
  ASSERT_GT(trace.size(), 3U);
  // Step 3 is OnRead's first step; the watchdog's callback does not exist before its timer fires.
  trace[2]["event"] = "OnWatchdog";
  const std::string path = write(doc);
  auto r = run_tool("replay " + path);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("step 3 of"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'OnWatchdog'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("does not fit the spec"), std::string::npos) << r.err;
  std::remove(path.c_str());
}

TEST(ReplayCli, ChoiceThatDoesNotApplyExitsTwo) {
  nlohmann::json doc = checked(kSendFailSpec);
  nlohmann::json& trace = first_violation(doc)["trace"];
  std::size_t at = trace.size();
  for (std::size_t k = 0; k < trace.size(); ++k) {
    if (!trace[k]["choices"].empty() && trace[k]["choices"][0] == "send:fail") at = k;
  }
  ASSERT_LT(at, trace.size()) << "the trace has a send:fail step";
  trace[at]["choices"][0] = "send:maybe";
  const std::string path = write(doc);
  auto r = run_tool("replay " + path);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("step " + std::to_string(at + 1) + " of"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("send:maybe"), std::string::npos) << r.err;
  std::remove(path.c_str());
}

TEST(ReplayCli, TruncatedScheduleRunsCleanExitsZero) {
  nlohmann::json doc = checked(kTimerSpec);
  nlohmann::json& v = first_violation(doc);
  nlohmann::json& trace = v["trace"];
  trace.erase(trace.begin() + 5, trace.end());  // arrive, dispatch, three OnRead steps
  v["violating_step"] = nullptr;
  v["racing_steps"] = nlohmann::json::array();
  const std::string path = write(doc);
  auto r = run_tool("replay " + path);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("runs clean"), std::string::npos) << r.out;
  std::remove(path.c_str());
}

TEST(ReplayCli, DifferentApiResultIsAnInternalError) {
  nlohmann::json doc = checked(kTimerSpec);
  nlohmann::json& trace = first_violation(doc)["trace"];
  std::size_t at = trace.size();
  for (std::size_t k = 0; k < trace.size(); ++k) {
    for (auto& c : trace[k]["calls"]) {
      if (c == "WdfRequestSend=1") {
        c = "WdfRequestSend=0";
        at = k;
      }
    }
  }
  ASSERT_LT(at, trace.size());
  const std::string path = write(doc);
  auto r = run_tool("replay " + path);
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("WdfRequestSend=0"), std::string::npos) << r.err;  // the trace's view
  EXPECT_NE(r.err.find("WdfRequestSend=1"), std::string::npos) << r.err;  // the executor's
  // Actionable: it is a bug, the workaround, where to report it and with which version.
  EXPECT_NE(r.err.find("This is a bug in cancelcheck"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--por off --symmetry off --threads 1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/issues"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" build, Z3 "), std::string::npos) << r.err;
  std::remove(path.c_str());
}

TEST(ReplayCli, UnreadableDocumentsExitTwo) {
  const std::string junk = temp_file("{ not json", ".json");
  auto r = run_tool("replay " + junk);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not a cancelcheck --json document"), std::string::npos) << r.err;
  const std::string wrong = temp_file("{\"schema\": \"something-else\"}", ".json");
  EXPECT_EQ(run_tool("replay " + wrong).exit_code, 2);
  auto missing = run_tool("replay /nonexistent/results.json");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("cannot read"), std::string::npos);
  std::remove(junk.c_str());
  std::remove(wrong.c_str());
}

TEST(ReplayCli, DocumentWithoutViolationsExitsZero) {
  const std::string json = temp_file("", ".json");
  auto c = run_tool("check -q specs/kmdf/cr005_never_completed_fixed.spec --json " + json);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  auto r = run_tool("replay " + json);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("no violation to replay"), std::string::npos);
  std::remove(json.c_str());
}

}  // namespace
}  // namespace cc
