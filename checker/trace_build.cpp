#include "checker/trace_build.h"

#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>

#include "checker/concretize.h"

namespace cc {

namespace {

/// The concrete execution (symmetry off) through the symmetry classes of `canon` (the path's
/// states as the search stored them), ending in the violating successor whose canonical form
/// is `*violating`, or in an end state when it is null. Replaces `finding` by the concrete one
/// (same rule, concrete names).
std::vector<TraceStep> concretize(TransitionSystem& ts, const CheckOptions& opts,
                                  const std::array<bool, kRuleCount>& rules,
                                  const std::vector<std::vector<uint8_t>>& canon,
                                  const std::vector<uint8_t>* violating, Finding& finding) {
  ConcreteMode mode(ts, opts);
  std::vector<TraceStep> trace;
  std::vector<uint8_t> cur;
  concrete_path(ts, mode, canon, rules, trace, cur);
  std::vector<uint8_t> after(ts.state_size());
  std::vector<uint8_t> tmp;
  if (violating != nullptr) {
    CollectSink sink;
    ts.successors(cur, sink);
    for (const CollectSink::Entry& e : sink.out) {
      // The location too: two activities' violating steps can leave the same state (a step
      // stops at its violating call), and only the one the search found is the violation.
      if (!e.finding || e.finding->rule != finding.rule || e.finding->loc != finding.loc) continue;
      mode.stored_form(e.state, tmp);
      if (tmp != *violating) continue;
      trace.push_back(ts.describe(cur, e.label, after));
      if (after != e.state) {
        throw std::logic_error("trace concretization: describe() disagrees with successors()");
      }
      finding = *e.finding;
      return trace;
    }
    throw std::logic_error("trace concretization: the violating step has no concrete match");
  }
  std::optional<Finding> end = ts.end_state(cur);
  if (!end || end->rule != finding.rule) {
    throw std::logic_error("trace concretization: the concrete end state does not violate");
  }
  finding = *end;
  return trace;
}

}  // namespace

Violation build_violation(TransitionSystem& ts, const CheckOptions& opts,
                          const std::array<bool, kRuleCount>& rules, const StoredPath& path,
                          std::optional<Label> violating, const Finding& found) {
  const std::size_t n = ts.state_size();
  std::vector<uint8_t> packed(n);
  const auto same = [&](const std::vector<uint8_t>& a, const std::vector<uint8_t>& stored) {
    if (a.size() != n) return false;
    const std::size_t len = ts.pack(a, packed.data());
    return len == stored.size() &&
           (len == 0 || std::memcmp(packed.data(), stored.data(), len) == 0);
  };
  std::vector<uint8_t> before(n);
  std::vector<uint8_t> after(n);
  ts.initial_state(before);
  Violation v;
  std::vector<std::vector<uint8_t>> path_states{before};  // the states the search saw
  const bool stored = !path.packed.empty();
  if (stored && !same(before, path.packed.front())) {
    throw std::logic_error("trace reconstruction: the initial state changed between calls");
  }
  v.trace.reserve(path.labels.size() + (violating ? 1 : 0));
  for (std::size_t i = 0; i < path.labels.size(); ++i) {
    after.resize(n);
    v.trace.push_back(ts.describe(before, path.labels[i], after));
    if (stored && !same(after, path.packed[i + 1])) {
      throw std::logic_error("trace reconstruction: step " + std::to_string(i) +
                             " does not reach the stored state (describe() disagrees with "
                             "successors())");
    }
    std::swap(before, after);
    path_states.push_back(before);
  }
  if (violating) {
    after.resize(n);
    v.trace.push_back(ts.describe(before, *violating, after));
    v.violating_step = StepIndex{static_cast<uint32_t>(v.trace.size() - 1)};
  }
  Finding finding = found;
  if (opts.symmetry || opts.por) {  // the stored states may be canonical
    // The search saw canonical states, whose object numbering may change from one step to the
    // next; the trace shown (and replayed) is a concrete execution through the same classes.
    v.trace = concretize(ts, opts, rules, path_states, violating ? &after : nullptr, finding);
  }

  const Explanation ex = ts.explain(finding, v.trace);
  v.rule = finding.rule;
  v.message = finding.message;
  v.headline = ex.headline;
  v.loc = ts.result_loc(finding.loc);
  v.racing_steps.reserve(ex.racing_steps.size());
  for (const uint32_t s : ex.racing_steps) v.racing_steps.push_back(StepIndex{s});
  return v;
}

}  // namespace cc
