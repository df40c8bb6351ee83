// The semantics' symbolic execution against a solver-free decider: satisfiability by brute
// force over every value of the (narrow) variables of a path condition. Independent of Z3,
// so these tests pin what the semantics ask and do with the answers.
#include <gtest/gtest.h>

#include <deque>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/sym_cancel_id.h"
#include "model/frontend.h"
#include "modules/registry.h"
#include "tests/app/run_tool.h"
#include "tests/engine/collect_sink.h"

namespace cc {
namespace {

/// Decides a path condition by enumerating all values of its variables (at most 16 bits in
/// all); counts the questions.
class BruteDecider : public SymDecider {
 public:
  int calls = 0;
  SymDecision check(const SymPool& pool, const PathCondition& pc) override {
    return decide(pool, pc);
  }
  SymDecision solve(const SymPool& pool, const PathCondition& pc) override {
    return decide(pool, pc);
  }

 private:
  SymDecision decide(const SymPool& pool, const PathCondition& pc) {
    ++calls;
    std::set<SymVarId> vars;
    for (SymTermId c : pc.conjuncts()) {
      for (SymVarId v : pool.vars_of(c)) vars.insert(v);
    }
    std::vector<std::pair<SymVarId, unsigned>> vw;
    unsigned bits = 0;
    for (SymVarId v : vars) {
      vw.emplace_back(v, pool.var_info(v)->width);
      bits += pool.var_info(v)->width;
    }
    if (bits > 16) return {SymSat::Unknown, "too wide for brute force", std::nullopt};
    for (uint64_t n = 0; n < (uint64_t{1} << bits); ++n) {
      Assignment a;
      uint64_t rest = n;
      for (auto [v, w] : vw) {
        a.set(v, rest & ((uint64_t{1} << w) - 1));
        rest >>= w;
      }
      if (sym_satisfies(pool, pc, a)) return {SymSat::Sat, "", a};
    }
    return {SymSat::Unsat, "", std::nullopt};
  }
};

using test::Collect;

struct Explored {
  std::unique_ptr<TransitionSystem> ts;
  std::vector<Finding> findings;  ///< every transition finding and end-state finding
  std::size_t states = 0;
};

/// Full BFS (every finding, not just the first).
Explored explore_all(const std::string& text, SymDecider* decider, SourceManager& sm,
                     std::unique_ptr<ast::Spec>& spec) {
  Explored r;
  Diagnostics diags;
  spec = load_spec(sm, test::temp_file(text), {}, diags);
  EXPECT_TRUE(spec);
  if (!spec) return r;
  std::string why;
  r.ts = make_transition_system(*spec, sm, why);
  EXPECT_TRUE(r.ts) << why;
  if (!r.ts) return r;
  r.ts->set_decider(decider);
  std::vector<uint8_t> init(r.ts->state_size());
  r.ts->initial_state(init);
  std::set<std::vector<uint8_t>> seen{init};
  std::deque<std::vector<uint8_t>> queue{init};
  while (!queue.empty()) {
    std::vector<uint8_t> s = std::move(queue.front());
    queue.pop_front();
    Collect c;
    r.ts->successors(s, c);
    if (c.out.empty()) {
      if (auto f = r.ts->end_state(s)) r.findings.push_back(*f);
    }
    for (auto& [next, f] : c.out) {
      if (f) {
        r.findings.push_back(*f);
        continue;
      }
      if (seen.insert(next).second) queue.push_back(next);
    }
  }
  r.states = seen.size();
  return r;
}

std::string read_spec(const std::string& body, const std::string& extra = "") {
  return "queue q : parallel { EvtIoRead = OnRead; }\n" + extra + "\nfn OnRead(request req) {\n" +
         body + "\n}\nenvironment { arrive q x 1; }\n";
}

TEST(SemanticsSymbolic, ConcreteSpecNeverAsksTheDecider) {
  BruteDecider d;
  SourceManager sm;
  std::unique_ptr<ast::Spec> spec;
  Explored r =
      explore_all(read_spec("int x = 3; if (x > 2) { WdfRequestComplete(req, STATUS_SUCCESS); }"),
                  &d, sm, spec);
  ASSERT_TRUE(r.ts);
  EXPECT_FALSE(r.ts->symbolic());
  EXPECT_EQ(d.calls, 0);
  EXPECT_TRUE(r.findings.empty());
}

TEST(SemanticsSymbolic, SymbolicStateHasThePathConditionAndTags) {
  SourceManager sm1, sm2;
  Diagnostics d1, d2;
  const std::string body = "if (g == 1) { WdfRequestComplete(req, STATUS_SUCCESS); }";
  auto concrete = load_spec(sm1, test::temp_file(read_spec(body, "global int g = 0;")), {}, d1);
  auto symbolic = load_spec(sm2, test::temp_file(read_spec(body, "symbolic int<8> g;")), {}, d2);
  ASSERT_TRUE(concrete && symbolic);
  std::string why;
  auto a = make_transition_system(*concrete, sm1, why);
  auto b = make_transition_system(*symbolic, sm2, why);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(a->symbolic());
  EXPECT_TRUE(b->symbolic());
  // The same layout plus 4 bytes of path-condition id and one tag bit per word.
  const std::size_t words = (a->state_size() + 3) / 4;
  EXPECT_EQ(b->state_size(), words * 4 + 4 + (words + 7) / 8);
}

TEST(SemanticsSymbolic, BranchesForkAndInfeasibleSidesArePruned) {
  BruteDecider d;
  SourceManager sm;
  std::unique_ptr<ast::Spec> spec;
  // The inner assert needs x > 250 and x < 5: never reached. The completion depends on x:
  // the path with x == 7 never completes (CR005), the others do.
  Explored r = explore_all(read_spec(R"(
  symbolic int<8> x;
  if (x > 250) {
    if (x < 5) { assert(FALSE); }
  }
  if (x != 7) { WdfRequestComplete(req, STATUS_SUCCESS); }
)"),
                           &d, sm, spec);
  ASSERT_TRUE(r.ts);
  EXPECT_GT(d.calls, 0);
  ASSERT_EQ(r.findings.size(), 1U);
  EXPECT_EQ(r.findings[0].rule, RuleId::NeverCompleted);
}

TEST(SemanticsSymbolic, AssertIsCheckedForEveryValue) {
  for (const auto& [body, fails] : std::vector<std::pair<std::string, bool>>{
           {"assert(x * 2 != 7);", false},                 // never odd
           {"assert(x + 1 != 0);", false},                 // zero-extended: at most 256
           {"assume(x < 10); assert(x < 9);", true},       // x == 9
           {"assume(x < 10); assert(x < 10);", false}}) {  // the assumption makes it hold
    BruteDecider d;
    SourceManager sm;
    std::unique_ptr<ast::Spec> spec;
    Explored r = explore_all(
        read_spec("symbolic int<8> x;\n" + body + "\nWdfRequestComplete(req, STATUS_SUCCESS);"), &d,
        sm, spec);
    ASSERT_TRUE(r.ts);
    bool assertion = false;
    for (const Finding& f : r.findings) assertion |= f.rule == RuleId::Assertion;
    EXPECT_EQ(assertion, fails) << body;
  }
}

TEST(SemanticsSymbolic, UndecidedQueriesAreReported) {
  BruteDecider d;
  SourceManager sm;
  std::unique_ptr<ast::Spec> spec;
  // 32 bits are too wide for the brute-force decider: it answers Unknown.
  Explored r = explore_all(read_spec("symbolic int<32> x;\nassert(x != 5);\n"
                                     "WdfRequestComplete(req, STATUS_SUCCESS);"),
                           &d, sm, spec);
  ASSERT_TRUE(r.ts);
  EXPECT_TRUE(r.findings.empty());
  EXPECT_FALSE(r.ts->undecided().empty());
}

// The CR012 term builder over a pool, decided through the same SymDecider interface as
// branches and assertions (the semantics' NDIS_SET_NET_BUFFER_LIST_CANCEL_ID asks this).
TEST(SemanticsSymbolic, CancelIdCollisionQueryGoesThroughTheDecider) {
  SymPool pool;
  BruteDecider d;
  const SymTermId own = pool.var(SymVarId{1}, "own", 8);
  const SymTermId other = pool.var(SymVarId{2}, "other", 8);
  auto ask = [&](SymTermId id) {
    CancelIdCollisionTerms t =
        cancel_id_collision_terms(pool, pool.zext(id, kPtrTermWidth), 32, {&own, 1}, {&other, 1});
    PathCondition pc;
    pc.add(pool, t.distinct);
    pc.add(pool, t.collision);
    return d.check(pool, pc).kind;
  };
  // (NdisGeneratePartialCancelId() << 24) | n never collides; a constant high byte can.
  EXPECT_EQ(ask(pool.bv_or(pool.bv_shl(pool.to_int(own), pool.int_const(24)), pool.int_const(5))),
            SymSat::Unsat);
  EXPECT_EQ(ask(pool.int_const(0x7F000005)), SymSat::Sat);
}

/// A filter that asks for its partial cancel id and sets `id_expr` as its NBL's cancel id.
std::string cancel_id_spec(const std::string& id_expr, const std::string& option = "") {
  return option +
         "filter f { FilterSendNetBufferListsComplete = OnDone; }\n"
         "miniport nic : cancelable;\n"
         "global uintptr partial = 0;\n"
         "thread T {\n"
         "  partial = NdisGeneratePartialCancelId();\n"
         "  nbl n = NdisAllocateNetBufferList();\n"
         "  NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(n, " +
         id_expr +
         ");\n"
         "  NdisFreeNetBufferList(n);\n"
         "}\n"
         "fn OnDone(nbl n, status st) { NdisFSendNetBufferListsComplete(n, st); }\n"
         "environment { }\n";
}

TEST(SemanticsSymbolic, ConstantHighByteCancelIdIsACollision) {
  BruteDecider d;
  SourceManager sm;
  std::unique_ptr<ast::Spec> spec;
  Explored r = explore_all(cancel_id_spec("0x5A00000000000001"), &d, sm, spec);
  ASSERT_TRUE(r.ts);
  EXPECT_TRUE(r.ts->symbolic()) << "NdisGeneratePartialCancelId makes the spec symbolic";
  ASSERT_EQ(r.findings.size(), 1U);
  EXPECT_EQ(r.findings[0].rule, RuleId::CancelIdCollision);
  EXPECT_NE(r.findings[0].message.find("0x5A00000000000001"), std::string::npos)
      << r.findings[0].message;
  EXPECT_GT(d.calls, 0);
}

// Cancel ids are pointer-sized (docs/spec-language.md, "Pointer-sized integers"): the partial
// id belongs in bits 63..56 at the default width, 31..24 at `option pointer_width 32;`.
TEST(SemanticsSymbolic, PartialIdBelowThePointersHighByteCollides) {
  for (const char* id : {"(partial << 24) | 1", "NdisGeneratePartialCancelId() << 24"}) {
    BruteDecider d;
    SourceManager sm;
    std::unique_ptr<ast::Spec> spec;
    Explored r = explore_all(cancel_id_spec(id), &d, sm, spec);
    ASSERT_TRUE(r.ts);
    ASSERT_EQ(r.findings.size(), 1U) << id;
    EXPECT_EQ(r.findings[0].rule, RuleId::CancelIdCollision) << id;
    Explored r32 = explore_all(cancel_id_spec(id, "option pointer_width 32;\n"), &d, sm, spec);
    EXPECT_TRUE(r32.findings.empty()) << id << ": " << r32.findings.at(0).message;
  }
}

TEST(SemanticsSymbolic, CancelIdFromThePartialIdNeverCollides) {
  for (const char* id : {"(partial << 56) | 1", "(partial << ((sizeof(PVOID) - 1) * 8)) | 7",
                         "partial << 56 | 0xFFFFFFFFFFFFFF", "0"}) {
    BruteDecider d;
    SourceManager sm;
    std::unique_ptr<ast::Spec> spec;
    Explored r = explore_all(cancel_id_spec(id), &d, sm, spec);
    ASSERT_TRUE(r.ts);
    EXPECT_TRUE(r.findings.empty()) << id << ": " << r.findings.at(0).message;
  }
}

}  // namespace
}  // namespace cc
