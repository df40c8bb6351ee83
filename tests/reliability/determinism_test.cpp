// Determinism: the whole corpus (specs/) checked twice gives byte-identical SARIF and JSON once
// the timing fields are removed (the CLI has no switch to omit them; reports::JsonOptions has),
// and so does --threads 1 against --threads 2. See docs/reliability.md.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/reliability/child.h"

namespace cc::test {
namespace {

namespace fs = std::filesystem;

/// Timing and machine-dependent fields of the JSON report (docs/json-schema.md).
bool is_timing_field(const std::string& key) {
  return key == "seconds" || key == "z3_seconds" || key == "peak_memory_bytes";
}

void strip_timings(nlohmann::json& j) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end();) {
      if (is_timing_field(it.key())) {
        it = j.erase(it);
      } else {
        strip_timings(*it);
        ++it;
      }
    }
  } else if (j.is_array()) {
    for (auto& e : j) strip_timings(e);
  }
}

struct Reports {
  std::string json;   ///< without timing fields, re-serialized
  std::string sarif;  ///< bytes as written
};

Reports check_corpus(std::vector<std::string> extra) {
  std::string dir = temp_dir();
  std::vector<std::string> args{"check",  "specs/",        "--no-progress", "--no-color",    "-q",
                                "--json", dir + "/r.json", "--sarif",       dir + "/r.sarif"};
  args.insert(args.end(), extra.begin(), extra.end());
  ChildRun r = run_child(args);
  EXPECT_EQ(r.term_signal, 0);
  EXPECT_TRUE(r.exit_code == 1 || r.exit_code == 4) << r.out << r.err;
  Reports out;
  std::string raw = read_file(dir + "/r.json");
  auto doc = nlohmann::json::parse(raw, nullptr, false);
  EXPECT_FALSE(doc.is_discarded());
  if (!doc.is_discarded()) {
    strip_timings(doc);
    out.json = doc.dump(1);
  }
  out.sarif = read_file(dir + "/r.sarif");
  EXPECT_FALSE(out.sarif.empty());
  fs::remove_all(dir);
  return out;
}

void expect_same(const Reports& a, const Reports& b) {
  EXPECT_TRUE(a.json == b.json) << "JSON differs (timings excluded)";
  EXPECT_TRUE(a.sarif == b.sarif) << "SARIF differs";
}

TEST(Determinism, CorpusTwiceGivesIdenticalReports) {
  expect_same(check_corpus({}), check_corpus({}));
}

TEST(Determinism, CorpusTwiceWithAllGivesIdenticalReports) {
  expect_same(check_corpus({"--all"}), check_corpus({"--all"}));
}

TEST(Determinism, OneThreadAndTwoThreadsGiveIdenticalReports) {
  expect_same(check_corpus({"--threads", "1"}), check_corpus({"--threads", "2"}));
  expect_same(check_corpus({"--all", "--threads", "1"}), check_corpus({"--all", "--threads", "2"}));
}

TEST(Determinism, DfsTwiceGivesIdenticalReports) {
  expect_same(check_corpus({"--search", "dfs"}), check_corpus({"--search", "dfs"}));
}

}  // namespace
}  // namespace cc::test
