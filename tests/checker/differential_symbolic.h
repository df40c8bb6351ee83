// Helpers of the differential test (differential_test.cpp) for symbolic feature specs: the
// explorer's decider, the comparison of a step's calls with a symbolic result, and the model a
// step carries (the reference executor replays a schedule with it).
#pragma once

#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "checker/z3_adapter.h"
#include "engine/sym_decider.h"
#include "engine/trace.h"
#include "reference/ref_executor.h"

namespace cc::difftest {

/// The explorer's view of Z3 for symbolic feature specs (checker/check.cpp's decider, with a
/// solver of its own).
class TestDecider final : public SymDecider {
 public:
  SymDecision check(const SymPool& pool, const PathCondition& pc) override {
    return decider_.check(pool, pc);
  }
  SymDecision solve(const SymPool& pool, const PathCondition& pc) override {
    return decider_.solve(pool, pc);
  }

 private:
  SymSolver solver_;
  SolverDecider decider_{solver_};
};

/// The step's API calls agree; an explorer entry "Name=?" (a symbolic result) matches the
/// executor's "Name=<int>" (from the model), as in checker/replay.cpp.
inline bool calls_agree(const std::vector<std::string>& ex, const std::vector<std::string>& ref) {
  if (ex.size() != ref.size()) return false;
  for (std::size_t i = 0; i < ex.size(); ++i) {
    const std::string& t = ex[i];
    if (t.size() > 2 && t.ends_with("=?") ? !ref[i].starts_with(t.substr(0, t.size() - 1))
                                          : t != ref[i]) {
      return false;
    }
  }
  return true;
}

/// The model a step's trace carries, by variable name (as checker/replay.cpp reads it).
inline SymbolicValues model_of(const TraceStep& step) {
  SymbolicValues out;
  for (const auto& [name, text] : step.symbolic_values) {
    try {
      out[name] = std::stoull(text, nullptr, 0);
    } catch (const std::exception&) {
      // not a number: the variable keeps its default
    }
  }
  return out;
}

}  // namespace cc::difftest
