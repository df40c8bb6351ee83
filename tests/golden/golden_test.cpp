// Golden spec tests: every spec under specs/ starts with an expectation line
//   // expect: pass states=N
//   // expect: violation CR004 trace=T states=N
//   // expect: incomplete
// and is checked in-process with the default options. The verdict, the rule of the shortest
// counterexample, its length and the number of states explored must match exactly (state
// counts are deterministic). CC_UPDATE_GOLDEN=1 rewrites trace= and states= in place.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "app/spec_files.h"
#include "checker/check.h"
#include "model/frontend.h"

namespace cc {
namespace {

struct Expectation {
  std::string verdict;  ///< pass | violation | incomplete
  std::string rule;     ///< CRnnn for violations
  long trace = -1;      ///< -1 = not pinned yet
  long states = -1;
  std::size_t line_end = 0;  ///< byte offset of the end of the expectation line
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::optional<Expectation> parse_expectation(const std::string& text) {
  const std::string key = "// expect:";
  if (text.rfind(key, 0) != 0) return std::nullopt;
  Expectation e;
  e.line_end = text.find('\n');
  if (e.line_end == std::string::npos) e.line_end = text.size();
  std::istringstream words(text.substr(key.size(), e.line_end - key.size()));
  std::string w;
  words >> e.verdict;
  while (words >> w) {
    if (w.rfind("trace=", 0) == 0) {
      e.trace = std::stol(w.substr(6));
    } else if (w.rfind("states=", 0) == 0) {
      e.states = std::stol(w.substr(7));
    } else if (w.rfind("CR", 0) == 0) {
      e.rule = w;
    }
  }
  return e;
}

std::vector<std::string> corpus() {
  std::vector<std::string> missing;
  return collect_spec_files({CC_SOURCE_DIR "/specs"}, missing);
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, VerdictRuleTraceAndStates) {
  const std::string path = GetParam();
  std::string text = read_file(path);
  auto exp = parse_expectation(text);
  ASSERT_TRUE(exp) << path << ": first line must be '// expect: ...'";

  SourceManager sm;
  Diagnostics diags;
  auto spec = load_spec(sm, path, {}, diags);
  std::ostringstream d;
  diags.print(d, sm);
  ASSERT_TRUE(spec != nullptr) << d.str();

  CheckOptions opts;
  opts.max_states = 5'000'000;
  SpecResult r = check_spec(*spec, sm, opts);
  std::string verdict(verdict_name(r.verdict));
  std::string rule;
  long trace = -1;
  if (!r.violations.empty()) {
    rule = std::string(rule_info(r.violations[0].rule).id);
    trace = static_cast<long>(r.violations[0].trace.size());
  }
  auto states = static_cast<long>(r.stats.states);

  if (std::getenv("CC_UPDATE_GOLDEN") != nullptr && verdict == exp->verdict && rule == exp->rule) {
    std::string line = "// expect: " + verdict;
    if (!rule.empty()) line += " " + rule + " trace=" + std::to_string(trace);
    if (verdict != "incomplete") line += " states=" + std::to_string(states);
    std::ofstream(path, std::ios::binary) << line << text.substr(exp->line_end);
    return;
  }
  std::string what = r.violations.empty() ? r.incomplete_reason : r.violations[0].message;
  EXPECT_EQ(verdict, exp->verdict) << path << ": " << what;
  EXPECT_EQ(rule, exp->rule) << path << ": " << what;
  if (exp->trace >= 0) {
    EXPECT_EQ(trace, exp->trace) << path;
  }
  if (exp->states >= 0) {
    EXPECT_EQ(states, exp->states) << path;
  }
  if (exp->verdict != "incomplete") {
    EXPECT_GE(exp->states, 0) << path << ": pin states= (run with CC_UPDATE_GOLDEN=1)";
  }
  if (exp->verdict == "violation") {
    EXPECT_GE(exp->trace, 0) << path << ": pin trace= (run with CC_UPDATE_GOLDEN=1)";
    ASSERT_FALSE(r.violations.empty());
    EXPECT_FALSE(r.violations[0].headline.empty());
    EXPECT_TRUE(r.violations[0].loc.line > 0) << path << ": violation without a location";
  }
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string rel = std::filesystem::relative(info.param, CC_SOURCE_DIR "/specs").string();
  std::string out;
  for (char c : rel.substr(0, rel.size() - 5))
    out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

// The reductions never change a verdict: a spec gives the same verdict, rule and
// shortest-trace length with partial-order and symmetry reduction in all four on/off
// combinations, and no combination stores more states than both off. Returns the states
// stored with both off and with both on.
std::pair<uint64_t, uint64_t> expect_reductions_keep_the_verdict(const std::string& path,
                                                                 const Defines& defines) {
  SourceManager sm;
  Diagnostics diags;
  auto spec = load_spec(sm, path, defines, diags);
  EXPECT_TRUE(spec != nullptr) << path;
  if (spec == nullptr) return {0, 0};
  struct Outcome {
    std::string verdict;
    std::string rule;
    long trace = -1;
    uint64_t states = 0;
  };
  const auto run = [&](bool por, bool symmetry) {
    CheckOptions opts;
    opts.max_states = 5'000'000;
    opts.por = por;
    opts.symmetry = symmetry;
    const SpecResult r = check_spec(*spec, sm, opts);
    Outcome o{std::string(verdict_name(r.verdict)), "", -1, r.stats.states};
    if (!r.violations.empty()) {
      o.rule = std::string(rule_info(r.violations[0].rule).id);
      o.trace = static_cast<long>(r.violations[0].trace.size());
    }
    return o;
  };
  const Outcome off = run(false, false);
  uint64_t both = 0;
  for (const auto& [por, symmetry] : {std::pair{true, false}, {false, true}, {true, true}}) {
    const Outcome on = run(por, symmetry);
    SCOPED_TRACE(testing::Message() << path << " por=" << por << " symmetry=" << symmetry);
    EXPECT_EQ(on.verdict, off.verdict);
    EXPECT_EQ(on.rule, off.rule);
    EXPECT_EQ(on.trace, off.trace);
    if (off.verdict == "pass") {
      EXPECT_LE(on.states, off.states);
    }
    if (por && symmetry) both = on.states;
  }
  return {off.states, both};
}

TEST_P(Golden, ReductionsKeepTheVerdict) {
  expect_reductions_keep_the_verdict(GetParam(), {});
}

// The same on the scalable benchmark families and on the seed whose requests escape
// through a global, at sizes with several requests (where partial-order reduction acts).
TEST(GoldenScaled, ReductionsKeepTheVerdictWithSeveralRequests) {
  struct Case {
    const char* path;
    Defines defines;
  };
  const Case cases[] = {
      {"bench/specs/independent_requests.spec", {{"N", 3}}},
      {"bench/specs/independent_requests_buggy.spec", {{"N", 3}}},
      {"bench/specs/lock_contention.spec", {{"N", 3}}},
      {"bench/specs/lock_contention_buggy.spec", {{"N", 3}}},
      {"bench/specs/interrupt_completion.spec", {{"N", 2}}},
      {"bench/specs/interrupt_completion_buggy.spec", {{"N", 2}}},
      {"specs/seeds/000_cancel_sent_from_timer.spec", {{"READS", 2}}},
      {"specs/seeds/000_cancel_sent_from_timer_fixed.spec", {{"READS", 2}}},
  };
  std::vector<std::pair<uint64_t, uint64_t>> states;
  for (const Case& c : cases) {
    states.push_back(
        expect_reductions_keep_the_verdict(std::string(CC_SOURCE_DIR "/") + c.path, c.defines));
  }
  // The reductions do reduce: three independent requests take at least 10x fewer states
  // (N = 4 is in bench/README.md).
  EXPECT_GE(states[0].first, 10 * states[0].second)
      << states[0].first << " states without reductions, " << states[0].second << " with both";
}

INSTANTIATE_TEST_SUITE_P(Corpus, Golden, ::testing::ValuesIn(corpus()), test_name);

TEST(GoldenCorpus, NdisAndAppcFoldersHaveABuggySpecPerRuleAndFixedTwins) {
  // specs/ndis and specs/appc: every buggy spec has a `_fixed` twin that passes.
  const std::vector<std::string> files = corpus();
  const std::set<std::string> paths(files.begin(), files.end());
  std::set<std::string> ndis_rules, appc_rules;
  for (const std::string& path : paths) {
    bool ndis = path.find("/specs/ndis/") != std::string::npos;
    bool appc = path.find("/specs/appc/") != std::string::npos;
    if (!ndis && !appc) continue;
    auto exp = parse_expectation(read_file(path));
    ASSERT_TRUE(exp) << path;
    if (exp->verdict != "violation") continue;
    (ndis ? ndis_rules : appc_rules).insert(exp->rule);
    std::string twin = path.substr(0, path.size() - 5) + "_fixed.spec";
    ASSERT_TRUE(paths.count(twin)) << "no fixed twin for " << path;
    auto twin_exp = parse_expectation(read_file(twin));
    ASSERT_TRUE(twin_exp) << twin;
    EXPECT_EQ(twin_exp->verdict, "pass") << twin;
  }
  EXPECT_EQ(ndis_rules,
            (std::set<std::string>{"CR001", "CR003", "CR004", "CR005", "CR011", "CR012", "CR015"}));
  // Two functions reading a completed verb's VCB is harmless (probe p16) and a verb on a
  // closed conversation gets its completion message: APPC has no CR001/CR003 pair any more.
  EXPECT_EQ(appc_rules, (std::set<std::string>{"CR002", "CR004"}));
}

TEST(GoldenCorpus, EveryRuleHasABuggyAndAFixedSpec) {
  std::set<std::string> violated;
  std::size_t passing = 0;
  for (const std::string& path : corpus()) {
    auto exp = parse_expectation(read_file(path));
    ASSERT_TRUE(exp) << path;
    if (exp->verdict == "violation") violated.insert(exp->rule);
    if (exp->verdict == "pass") ++passing;
  }
  // CR013 (assertion) is the spec's own.
  for (const char* id : {"CR001", "CR002", "CR003", "CR004", "CR005", "CR006", "CR007", "CR008",
                         "CR009", "CR010", "CR011", "CR012", "CR014", "CR015", "CR016"}) {
    EXPECT_TRUE(violated.count(id)) << "no spec violates " << id;
  }
  EXPECT_GE(passing, 10U);
}

}  // namespace
}  // namespace cc
