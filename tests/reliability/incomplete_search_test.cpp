// A search that a limit stopped after it had found violations (--all) is incomplete in every
// output and in the exit code, not only in the JSON's incomplete_reason.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checker/result.h"
#include "reports/html.h"
#include "reports/junit.h"
#include "reports/sarif.h"
#include "reports/text.h"
#include "tests/reliability/child.h"

namespace cc::test {
namespace {

namespace fs = std::filesystem;

constexpr int kViolation = 1;
constexpr int kIncomplete = 4;

/// A double completion found at depth 7, then the state limit stops the --all search.
std::vector<std::string> limited_after_violation(const std::string& dir) {
  return {"check",
          "bench/specs/independent_requests_buggy.spec",
          "-D",
          "N=6",
          "--por",
          "off",
          "--all",
          "--max-states",
          "300",
          "--no-progress",
          "--no-color",
          "--json",
          dir + "/r.json",
          "--sarif",
          dir + "/r.sarif",
          "--junit",
          dir + "/r.xml",
          "--html",
          dir + "/html"};
}

/// Every report says the search was incomplete, naming the state limit.
void expect_incomplete_everywhere(const ChildRun& r, const std::string& dir) {
  EXPECT_NE(r.out.find("1 incomplete"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("search incomplete: state limit 300 reached"), std::string::npos) << r.out;
  auto sarif = nlohmann::json::parse(read_file(dir + "/r.sarif"));
  const auto& inv = sarif["runs"][0]["invocations"][0];
  ASSERT_TRUE(inv.contains("toolExecutionNotifications")) << inv.dump(2);
  std::string note = inv["toolExecutionNotifications"][0]["message"]["text"].get<std::string>();
  EXPECT_NE(note.find("incomplete: state limit 300 reached"), std::string::npos) << note;
  std::string junit = read_file(dir + "/r.xml");
  EXPECT_NE(junit.find("<skipped message=\"search incomplete: state limit 300"), std::string::npos)
      << junit;
  std::string index = read_file(dir + "/html/index.html");
  EXPECT_NE(index.find("search incomplete: state limit 300 reached"), std::string::npos);
  EXPECT_NE(index.find("1 incomplete"), std::string::npos);
  auto json = nlohmann::json::parse(read_file(dir + "/r.json"));
  EXPECT_NE(json["specs"][0]["incomplete_reason"].get<std::string>().find("state limit"),
            std::string::npos);
}

TEST(IncompleteSearch, AGatingViolationStillOutranksIncomplete) {
  std::string dir = temp_dir();
  ChildRun r = run_child(limited_after_violation(dir));
  EXPECT_EQ(r.exit_code, kViolation) << r.out << r.err;
  expect_incomplete_everywhere(r, dir);
  fs::remove_all(dir);
}

TEST(IncompleteSearch, WithNoGatingViolationTheExitCodeIsIncomplete) {
  std::string dir = temp_dir();
  std::vector<std::string> args = limited_after_violation(dir);
  args.insert(args.end(), {"--fail-on", "CR011"});  // the violation found is a CR001
  ChildRun r = run_child(args);
  EXPECT_EQ(r.exit_code, kIncomplete) << r.out << r.err;
  expect_incomplete_everywhere(r, dir);
  fs::remove_all(dir);
}

TEST(IncompleteSearch, ABaselineThatAcceptsTheViolationsLeavesIncomplete) {
  std::string dir = temp_dir();
  std::vector<std::string> args = limited_after_violation(dir);
  std::vector<std::string> write = args;
  write.insert(write.end(), {"--write-baseline", dir + "/baseline.json"});
  // Writing the baseline accepts the violations, but the search is still incomplete.
  ASSERT_EQ(run_child(write).exit_code, kIncomplete);
  args.insert(args.end(), {"--baseline", dir + "/baseline.json"});
  ChildRun r = run_child(args);
  EXPECT_EQ(r.exit_code, kIncomplete) << r.out << r.err;
  EXPECT_NE(r.out.find("accepted by the baseline"), std::string::npos) << r.out;
  expect_incomplete_everywhere(r, dir);
  fs::remove_all(dir);
}

TEST(IncompleteSearch, OneHelperDecides) {
  SpecResult s;
  s.verdict = Verdict::Violation;
  EXPECT_FALSE(search_incomplete(s));  // stopped at the first violation: a verdict
  s.incomplete_reason = "time limit 1 s reached after 5 states (depth 2)";
  EXPECT_TRUE(search_incomplete(s));
  s.verdict = Verdict::Incomplete;
  EXPECT_TRUE(search_incomplete(s));
  s.verdict = Verdict::Error;
  EXPECT_FALSE(search_incomplete(s));  // an error is reported as such
  s.verdict = Verdict::Pass;
  s.incomplete_reason.clear();
  EXPECT_FALSE(search_incomplete(s));
}

TEST(IncompleteSearch, ReportsCountAViolationFoundBeforeALimit) {
  RunResult run;
  SpecResult s;
  s.path = "a.spec";
  s.verdict = Verdict::Violation;
  s.incomplete_reason = "time limit 1 s reached after 5 states (depth 2)";
  Violation v;
  v.rule = RuleId::DoubleCompletion;
  v.message = "req#1 completed twice";
  s.violations.push_back(v);
  run.specs.push_back(s);
  std::string text = reports::render_text(run, {});
  EXPECT_NE(text.find("1 incomplete (1 with violations)"), std::string::npos) << text;
  EXPECT_NE(text.find("search incomplete: time limit 1 s"), std::string::npos) << text;
  std::string sarif = reports::render_sarif(run);
  EXPECT_NE(sarif.find("a.spec: incomplete: time limit 1 s"), std::string::npos) << sarif;
  EXPECT_NE(reports::render_junit(run).find("<skipped"), std::string::npos);
  std::string index = reports::render_html_index(run, {});
  EXPECT_NE(index.find("search incomplete: time limit 1 s"), std::string::npos);
}

}  // namespace
}  // namespace cc::test
