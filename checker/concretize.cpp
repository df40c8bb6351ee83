// Concrete executions through stored paths (see concretize.h).
#include "checker/concretize.h"

#include <stdexcept>
#include <string>

namespace cc {

void concrete_path(TransitionSystem& ts, ConcreteMode& mode,
                   const std::vector<std::vector<uint8_t>>& canon,
                   const std::array<bool, kRuleCount>& checked, std::vector<TraceStep>& trace,
                   std::vector<uint8_t>& cur) {
  cur = canon.front();  // the initial state is not canonicalised
  std::vector<uint8_t> after(ts.state_size());
  std::vector<uint8_t> tmp;
  for (std::size_t i = 1; i < canon.size(); ++i) {
    CollectSink sink;
    ts.successors(cur, sink);
    const CollectSink::Entry* pick = nullptr;
    for (const CollectSink::Entry& e : sink.out) {
      if (e.finding && checked[static_cast<std::size_t>(e.finding->rule)]) continue;
      mode.stored_form(e.state, tmp);
      if (tmp == canon[i]) {
        pick = &e;
        break;
      }
    }
    if (pick == nullptr) {
      throw std::logic_error("trace concretization: no concrete step reaches state " +
                             std::to_string(i) + " of the path");
    }
    trace.push_back(ts.describe(cur, pick->label, after));
    if (after != pick->state) {
      throw std::logic_error("trace concretization: describe() disagrees with successors()");
    }
    cur = after;
  }
}

}  // namespace cc
