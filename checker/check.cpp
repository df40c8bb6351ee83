#include "checker/check.h"

#include <map>

#include <fmt/format.h>

#include "checker/explorer.h"
#include "checker/replay.h"
#include "model/semantics.h"

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

}  // namespace

SpecResult check_spec(const ast::Spec& spec, const SourceManager& sm, const CheckOptions& opts) {
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
  ts->set_reductions(opts.por, opts.symmetry);
  try {
    r = explore(*ts, opts);
  } catch (const ModelLimit& e) {
    r = SpecResult{};
    r.verdict = Verdict::Incomplete;
    r.incomplete_reason = std::string("model limit: ") + e.what();
  }
  r.title = spec.title;
  for (Violation& v : r.violations) number_lanes(v);
  // ---- replay confirmation (checker/replay.h): every counterexample must reproduce in the
  // independent reference executor; a disagreement is an internal error.
  for (Violation& v : r.violations) {
    const ReplayResult rr = replay_violation(spec, sm, v, opts.rules);
    if (rr.status == ReplayStatus::Reproduced) {
      v.replayed = true;
    } else if (rr.status != ReplayStatus::Unsupported) {
      throw ReplayMismatch(
          fmt::format("the {} counterexample ({}) does not replay in the reference executor:\n{}",
                      rule_info(v.rule).id, v.message, rr.message));
    }
  }
  // ---- end of replay confirmation
  return r;
}

}  // namespace cc
