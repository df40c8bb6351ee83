// The distributed search (checker/distributed.h) on ranks that are threads of this process
// (thread_comm.h): the one-process search's verdicts, counts and traces for any rank count,
// over synthetic graphs and over specs of the corpus. The real Open MPI runs are
// tests/distributed/mpi_compare.py and mpi_kill_rank.py.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "app/spec_files.h"
#include "checker/check.h"
#include "checker/distributed.h"
#include "checker/explorer.h"
#include "engine/semantics.h"
#include "model/frontend.h"
#include "tests/checker/thread_comm.h"

namespace cc {
namespace {

using testing_comm::run_ranks;

/// A random directed graph over `nodes` nodes (two words of state: node, a constant), with
/// violating edges and violating end states, as the explorer tests use.
class Graph final : public TransitionSystem {
 public:
  explicit Graph(uint32_t nodes, uint32_t throw_at = UINT32_MAX)
      : nodes_(nodes), throw_at_(throw_at) {}
  static uint32_t mix(uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    return x ^ (x >> 16);
  }
  std::size_t state_size() const override { return 8; }
  void initial_state(std::span<uint8_t> out) override { store(out, 0); }
  void successors(std::span<const uint8_t> state, SuccessorSink& sink) override {
    const uint32_t v = load(state);
    if (v == throw_at_) throw ModelLimit("node " + std::to_string(v) + " is too big");
    for (const auto& [label, w, finding] : next(v)) {
      std::array<uint8_t, 8> s{};
      store(s, w);
      sink.on_successor(label, s, finding ? &*finding : nullptr);
    }
  }
  std::optional<Finding> end_state(std::span<const uint8_t> state) override {
    const uint32_t v = load(state);
    if (v % 3 != 0) return std::nullopt;
    return finding(RuleId::Deadlock, 100 + v % 5, "stuck at " + std::to_string(v));
  }
  TraceStep describe(std::span<const uint8_t> before, Label label,
                     std::vector<uint8_t>& after) override {
    for (const auto& [l, w, f] : next(load(before))) {
      if (l == label) {
        after.assign(8, 0);
        store(after, w);
        TraceStep t;
        t.action = "to " + std::to_string(w);
        return t;
      }
    }
    throw std::logic_error("no such label");
  }
  Explanation explain(const Finding&, std::span<const TraceStep>) override { return {}; }
  ResultLoc result_loc(SourceLoc loc) const override {
    ResultLoc r;
    r.line = loc.line;
    return r;
  }

 private:
  struct Edge {
    Label label;
    uint32_t to;
    std::optional<Finding> finding;
  };
  static Finding finding(RuleId rule, uint32_t line, std::string message) {
    Finding f;
    f.rule = rule;
    f.loc.file = FileId{0};
    f.loc.line = line;
    f.loc.col = 1;
    f.message = std::move(message);
    return f;
  }
  std::vector<Edge> next(uint32_t v) const {
    std::vector<Edge> out;
    const uint32_t degree = v == 0 ? 4 : mix(v) % 5;
    for (uint16_t i = 0; i < degree; ++i) {
      const uint32_t w = mix(v * 8 + i + 1) % nodes_;
      Edge e{Label{i, static_cast<uint16_t>(w & 3)}, w, std::nullopt};
      if (mix(w ^ 0xABCD) % 97 == 0) {
        e.finding = finding(RuleId::UseAfterFree, 200 + w % 4, "edge to " + std::to_string(w));
      }
      out.push_back(e);
    }
    return out;
  }
  static uint32_t load(std::span<const uint8_t> s) {
    uint32_t v = 0;
    std::memcpy(&v, s.data(), 4);
    return v;
  }
  static void store(std::span<uint8_t> s, uint32_t v) {
    std::memcpy(s.data(), &v, 4);
    const uint32_t tag = 77;
    std::memcpy(s.data() + 4, &tag, 4);
  }
  uint32_t nodes_;
  uint32_t throw_at_;
};

void expect_same(const SpecResult& one, const SpecResult& many, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(one.verdict, many.verdict);
  EXPECT_EQ(one.stats.states, many.stats.states);
  EXPECT_EQ(one.stats.transitions, many.stats.transitions);
  EXPECT_EQ(one.stats.reduced, many.stats.reduced);
  EXPECT_EQ(one.stats.max_depth, many.stats.max_depth);
  EXPECT_EQ(one.stats.packed_bytes, many.stats.packed_bytes);
  EXPECT_EQ(one.incomplete_reason, many.incomplete_reason);
  ASSERT_EQ(one.violations.size(), many.violations.size());
  for (std::size_t i = 0; i < one.violations.size(); ++i) {
    const Violation& a = one.violations[i];
    const Violation& b = many.violations[i];
    EXPECT_EQ(a.rule, b.rule);
    EXPECT_EQ(a.message, b.message);
    EXPECT_EQ(a.headline, b.headline);
    EXPECT_EQ(a.replayed, b.replayed);
    ASSERT_EQ(a.trace.size(), b.trace.size()) << a.message;
    for (std::size_t k = 0; k < a.trace.size(); ++k) {
      EXPECT_EQ(a.trace[k].action, b.trace[k].action);
      EXPECT_EQ(a.trace[k].note, b.trace[k].note);
      EXPECT_EQ(a.trace[k].result, b.trace[k].result);
    }
  }
}

/// explore_distributed on `ranks` thread ranks; rank 0's result (checked against the others'
/// verdict and counts).
SpecResult distributed_graph(uint32_t nodes, const CheckOptions& o, uint32_t ranks,
                             uint32_t throw_at = UINT32_MAX, std::string* error = nullptr) {
  std::vector<SpecResult> results(ranks);
  std::vector<std::string> errors(ranks);
  run_ranks(ranks, [&](Comm& comm) {
    Graph g(nodes, throw_at);
    try {
      results[comm.rank().value] = explore_distributed(g, o, comm);
    } catch (const ModelLimit& e) {
      errors[comm.rank().value] = e.what();
    }
  });
  for (uint32_t r = 1; r < ranks; ++r) {
    EXPECT_EQ(results[r].verdict, results[0].verdict);
    EXPECT_EQ(results[r].stats.states, results[0].stats.states);
    EXPECT_EQ(results[r].stats.transitions, results[0].stats.transitions);
    EXPECT_TRUE(results[r].violations.empty()) << "only rank 0 builds traces";
    EXPECT_EQ(errors[r], errors[0]) << "every rank throws the same";
  }
  if (error != nullptr) *error = errors[0];
  return results[0];
}

TEST(Distributed, OwnerSpreadsHashesOverTheRanks) {
  std::array<uint32_t, 3> count{};
  for (uint64_t h = 0; h < 30'000; ++h) ++count.at(owner_of(h * 0x2545F4914F6CDD1DULL, 3));
  for (const uint32_t c : count) EXPECT_NEAR(c, 10'000, 500);
  EXPECT_EQ(owner_of(12345, 1), 0U);
}

TEST(Distributed, RandomGraphGivesTheOneProcessResultsOnAnyRankCount) {
  constexpr uint32_t kNodes = 40'000;
  for (const bool all : {false, true}) {
    CheckOptions o;
    o.all = all;
    o.liveness = false;
    Graph g(kNodes);
    const SpecResult one = explore(g, o);
    ASSERT_FALSE(one.violations.empty());
    for (const uint32_t ranks : {1U, 2U, 3U, 4U}) {
      const SpecResult many = distributed_graph(kNodes, o, ranks);
      expect_same(one, many, "all=" + std::to_string(all) + " ranks=" + std::to_string(ranks));
    }
    if (all) {
      EXPECT_GT(one.stats.states, 3 * 2048U) << "several slices per level";
    }
  }
}

TEST(Distributed, LivenessIsReportedAsNotChecked) {
  CheckOptions o;
  const SpecResult many = distributed_graph(500, o, 2);
  EXPECT_EQ(many.liveness, LivenessRun::NotChecked);
  EXPECT_NE(many.liveness_note.find("distributed"), std::string::npos);
}

TEST(Distributed, AnExceptionOnOneRankIsThrownOnEveryRank) {
  // Node 0's successors include a node whose expansion throws; the search never gets past it.
  CheckOptions o;
  o.all = true;
  o.liveness = false;
  Graph probe(5'000);
  uint32_t victim = 0;
  {
    std::vector<uint8_t> s(8);
    probe.initial_state(s);
    struct First final : SuccessorSink {
      uint32_t to = 0;
      bool got = false;
      void on_successor(Label, std::span<const uint8_t> st, const Finding* f) override {
        if (!got && f == nullptr) {
          std::memcpy(&to, st.data(), 4);
          got = true;
        }
      }
    } first;
    probe.successors(s, first);
    victim = first.to;
  }
  std::string error;
  distributed_graph(5'000, o, 3, victim, &error);
  EXPECT_EQ(error, "node " + std::to_string(victim) + " is too big");
}

TEST(Distributed, StateLimitGivesAnIncompleteVerdict) {
  CheckOptions o;
  o.all = true;
  o.liveness = false;
  o.max_states = 3'000;
  const SpecResult many = distributed_graph(40'000, o, 2);
  EXPECT_NE(many.incomplete_reason.find("state limit 3000 reached"), std::string::npos)
      << many.incomplete_reason;
  EXPECT_TRUE(search_incomplete(many));
}

/// check_spec of `path` in one process and on `ranks` thread ranks.
void compare_spec(const std::string& path, CheckOptions o, uint32_t ranks) {
  const auto check = [&](Comm* comm) {
    SourceManager sm;
    Diagnostics diags;
    auto spec = load_spec(sm, path, {}, diags);
    if (!spec) return SpecResult{};
    CheckOptions mine = o;
    mine.comm = comm;
    return check_spec(*spec, sm, mine);
  };
  const SpecResult one = check(nullptr);
  std::vector<SpecResult> results(ranks);
  run_ranks(ranks, [&](Comm& comm) { results[comm.rank().value] = check(&comm); });
  expect_same(one, results[0], path + " on " + std::to_string(ranks) + " ranks");
  // The search really was distributed: another rank has the counts but builds no trace (a
  // spec with symbolic data is searched by rank 0 alone: the others have nothing).
  const SpecResult& other = results[1];
  EXPECT_TRUE(other.violations.empty()) << path;
  EXPECT_TRUE(other.stats.states == one.stats.states || other.stats.states == 0) << path;
}

std::vector<std::string> corpus() {
  std::vector<std::string> missing;
  return collect_spec_files({CC_SOURCE_DIR "/specs", CC_SOURCE_DIR "/bench/specs"}, missing);
}

class DistributedCorpus : public ::testing::TestWithParam<std::string> {};

TEST_P(DistributedCorpus, SameResultsAsOneProcess) {
  CheckOptions o;
  o.liveness = false;
  o.max_states = 2'000'000;
  compare_spec(GetParam(), o, 3);
}

INSTANTIATE_TEST_SUITE_P(Corpus, DistributedCorpus, ::testing::ValuesIn(corpus()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param.substr(info.param.find("/specs/") + 7);
                           for (char& c : n) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

TEST(Distributed, ReductionModesAndAllMode) {
  // The reductions change what is stored (canonical states, persistent sets and their
  // cycle proviso, which asks other ranks); --all keeps going after the first violation.
  const std::string spec = CC_SOURCE_DIR "/bench/specs/lock_contention_buggy.spec";
  for (const bool por : {false, true}) {
    for (const bool sym : {false, true}) {
      for (const bool all : {false, true}) {
        CheckOptions o;
        o.liveness = false;
        o.por = por;
        o.symmetry = sym;
        o.all = all;
        compare_spec(spec, o, 2);
      }
    }
  }
}

}  // namespace
}  // namespace cc
