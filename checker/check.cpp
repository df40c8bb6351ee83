#include "checker/check.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "checker/distributed.h"
#include "checker/explorer.h"
#include "checker/replay.h"
#include "checker/z3_adapter.h"
#include "modules/registry.h"

namespace cc {
namespace {

/// Numbers the lanes of a trace by first appearance of each activity name, so the same
/// activity keeps one lane even when the semantics reuse its slot.
void number_lanes(Violation& v) {
  std::map<std::string, uint32_t, std::less<>> lanes;
  for (TraceStep& s : v.trace) {
    auto [it, fresh] = lanes.try_emplace(s.activity_name, static_cast<uint32_t>(lanes.size()));
    s.activity = it->second;
  }
}

/// A trace shows one model: the last step's (its path condition implies every earlier one's),
/// so earlier steps' values are dropped.
void keep_last_model(Violation& v) {
  bool seen = false;
  for (auto it = v.trace.rbegin(); it != v.trace.rend(); ++it) {
    if (seen) it->symbolic_values.clear();
    seen = seen || !it->symbolic_values.empty();
  }
}

std::string limit_text(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", seconds);  // as the explorer writes its limits
  return buf;
}

/// The search gets what is left of the time limit; its reason then names the limit the user
/// gave, not what was left of it.
void restate_time_limit(std::string& reason, double left, double given) {
  const std::string said = "time limit " + limit_text(left) + " s reached";
  if (reason.starts_with(said)) {
    reason = "time limit " + limit_text(given) + " s reached" + reason.substr(said.size());
  }
}

SpecResult check_and_confirm(const ast::Spec& spec, const SourceManager& sm,
                             const CheckOptions& opts) {
  const auto started = opts.started.value_or(std::chrono::steady_clock::now());
  std::string unsupported;
  std::unique_ptr<TransitionSystem> ts;
  SpecResult r;
  try {
    ts = make_transition_system(spec, sm, unsupported);
  } catch (const ModelLimit& e) {
    unsupported = e.what();
  }
  if (!ts) {
    r.title = spec.title;
    r.verdict = Verdict::Incomplete;
    r.incomplete_reason = unsupported;
    return r;
  }
  // Symbolic data only: a spec without it never creates a solver (zero Z3 queries).
  std::unique_ptr<SymSolver> solver;
  std::unique_ptr<SolverDecider> decider;
  if (ts->symbolic()) {
    SolverOptions so;
    so.timeout_ms = opts.z3_timeout_ms;
    so.rlimit = opts.z3_rlimit;
    solver = std::make_unique<SymSolver>(so);
    decider = std::make_unique<SolverDecider>(*solver);
    ts->set_decider(decider.get());
  }
  ts->set_reductions(opts.por, opts.symmetry);
  CheckOptions search = opts;
  if (opts.time_limit_s > 0) {
    double spent =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (opts.comm != nullptr && opts.comm->size() > 1) {
      // Rank 0's clock decides for every rank: they must all search, or none.
      std::vector<uint8_t> bytes(sizeof spent);
      std::memcpy(bytes.data(), &spent, sizeof spent);
      opts.comm->broadcast(bytes, Rank{0});
      std::memcpy(&spent, bytes.data(), sizeof spent);
    }
    if (spent >= opts.time_limit_s) {
      r.title = spec.title;
      r.verdict = Verdict::Incomplete;
      r.incomplete_reason = fmt::format("time limit {} s reached while building the model",
                                        limit_text(opts.time_limit_s));
      return r;
    }
    search.time_limit_s = opts.time_limit_s - spent;
  }
  // Symbolic terms live in a per-process pool (engine/sym.h) and states refer to them by id,
  // so a spec with symbolic data is searched by rank 0 alone (docs/distributed.md); the other
  // ranks wait for the next spec.
  const bool ranks = opts.comm != nullptr && opts.comm->size() > 1;
  const bool distributed = ranks && !ts->symbolic();
  if (ranks && ts->symbolic()) {
    search.comm = nullptr;
    if (opts.comm->rank().value != 0) {
      r.title = spec.title;
      return r;
    }
  }
  try {
    r = distributed ? explore_distributed(*ts, search, *opts.comm) : explore(*ts, search);
    restate_time_limit(r.incomplete_reason, search.time_limit_s, opts.time_limit_s);
  } catch (const ModelLimit& e) {
    r = SpecResult{};
    r.verdict = Verdict::Incomplete;
    r.incomplete_reason = std::string("model limit: ") + e.what();
  }
  bool undecided = false;
  if (solver) {
    solver->add_to(r.stats);
    // (A spec with a solver is symbolic, hence searched by one process: rank 0.)
    const std::string why = ts->undecided();
    undecided = !why.empty();
    if (!why.empty() && r.verdict == Verdict::Pass) {
      r.verdict = Verdict::Incomplete;
      r.incomplete_reason = "the solver could not decide a path (" + why + ")";
    }
    for (Violation& v : r.violations) keep_last_model(v);
  }
  r.title = spec.title;
  for (Violation& v : r.violations) number_lanes(v);
  // ---- replay confirmation (checker/replay.h): every counterexample must reproduce in the
  // independent reference executor; a disagreement is an internal error.
  // After an undecided solver answer a trace may lack its model (or follow a branch kept on
  // Unknown): such a counterexample is reported unreplayed, not as an internal error.
  const bool model_may_be_missing = ts->symbolic() && undecided;
  for (Violation& v : r.violations) {
    const ReplayResult rr = replay_violation(spec, sm, v, opts.rules);
    if (rr.status == ReplayStatus::Reproduced) {
      v.replayed = true;
    } else if (rr.status != ReplayStatus::Unsupported && !model_may_be_missing) {
      // Both executors' views: the explorer's schedule, step by step, and where the reference
      // executor parted from it.
      std::string explorer_view;
      for (std::size_t i = 0; i < v.trace.size(); ++i) {
        const TraceStep& step = v.trace[i];
        explorer_view += fmt::format("    {:>3} [{}] {}{}\n", i + 1, step.activity_name,
                                     step.action, step.result.empty() ? "" : " -> " + step.result);
      }
      throw ReplayMismatch(
          fmt::format("the {} counterexample ({}) does not replay in the reference executor.\n"
                      "  the explorer's view: {} at the end of this schedule:\n{}"
                      "  the reference executor's view: {}",
                      rule_info(v.rule).id, v.message, v.message, explorer_view, rr.message));
    }
  }
  // ---- end of replay confirmation
  return r;
}

}  // namespace

SpecResult check_spec(const ast::Spec& spec, const SourceManager& sm, const CheckOptions& opts) {
  SpecResult r = check_and_confirm(spec, sm, opts);
  if (spec.file.valid()) r.spec_hash = spec_content_hash(sm.file(spec.file).text);
  return r;
}

}  // namespace cc
