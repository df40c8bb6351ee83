// The race in words (TransitionSystem::explain): found from the steps' typed events
// (StepEvent), never from the words of a note. Most rules are one table row: the kinds of
// event that let go of the object earlier, and the headline that names both steps.
#include "engine/core.h"

namespace cc {
namespace {

/// One explanation: for `rule`, the latest earlier step with one of `kinds` on the object
/// races with the last step. `headline` takes (earlier step, object, last step, earlier
/// step's note). `other_lane`: the earlier step must be another activity's.
struct Pattern {
  RuleId rule;
  std::vector<EventKind> kinds;
  bool other_lane;
  std::string (*headline)(const std::string& earlier, const std::string& obj,
                          const std::string& last, const std::string& note);
};

const std::vector<Pattern>& patterns() {
  static const std::vector<Pattern> table = {
      {RuleId::DoubleCompletion,
       {EventKind::GivesBelow},
       true,
       [](const std::string& e, const std::string& o, const std::string& l, const std::string&) {
         return fmt::format("{} sent {} below; {} completed it again", e, o, l);
       }},
      {RuleId::DoubleCompletion,
       {EventKind::HandlesResult},
       true,
       [](const std::string& e, const std::string& o, const std::string& l, const std::string&) {
         return fmt::format("{} handled the result of {}; {} handled it again", e, o, l);
       }},
      {RuleId::DoubleCompletion,
       {EventKind::Completes},
       false,
       [](const std::string& e, const std::string& o, const std::string& l, const std::string&) {
         return fmt::format("{} completed {}; {} completed it again", e, o, l);
       }},
      {RuleId::UseAfterFree,
       {EventKind::Frees, EventKind::Gives, EventKind::GivesBelow, EventKind::Completes},
       false,
       [](const std::string& e, const std::string& o, const std::string& l, const std::string& n) {
         return fmt::format("{} let go of {} ({}); {} still used it", e, o, n, l);
       }},
      {RuleId::UseAfterReuse,
       {EventKind::Reuses},
       false,
       [](const std::string& e, const std::string& o, const std::string& l, const std::string&) {
         return fmt::format("{} reused {}; {} acted on it through an old handle", e, o, l);
       }},
      {RuleId::CompleteAfterUnmarkCancelled,
       {EventKind::UnmarkCancelled},
       false,
       [](const std::string& e, const std::string& o, const std::string& l, const std::string&) {
         return fmt::format(
             "{} saw WdfRequestUnmarkCancelable return STATUS_CANCELLED for {}; {} completed it "
             "anyway",
             e, o, l);
       }},
  };
  return table;
}

/// The latest step at or before `from` with an event of one of `kinds` on `obj` (any object
/// when `obj` is empty).
std::optional<uint32_t> find_back(std::span<const TraceStep> trace, uint32_t from,
                                  const std::vector<EventKind>& kinds, const std::string& obj) {
  for (uint32_t i = from + 1; i-- > 0;) {
    for (const StepEvent& ev : trace[i].events) {
      if ((obj.empty() || ev.object == obj) &&
          std::find(kinds.begin(), kinds.end(), ev.kind) != kinds.end()) {
        return i;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

Explanation Core::explain(const Finding& finding, std::span<const TraceStep> trace) {
  Explanation e;
  if (trace.empty()) return e;
  auto last = static_cast<uint32_t>(trace.size() - 1);
  const std::string& obj = finding.object;
  auto step_words = [&](uint32_t i) {
    return fmt::format("{} at step {}", trace[i].activity_name, i + 1);
  };
  for (const Pattern& p : patterns()) {
    if (p.rule != finding.rule || last == 0) continue;
    std::optional<uint32_t> earlier = find_back(trace, last - 1, p.kinds, obj);
    if (!earlier) continue;
    if (p.other_lane && trace[*earlier].activity_name == trace[last].activity_name) continue;
    e.racing_steps = {*earlier, last};
    e.headline = p.headline(step_words(*earlier), obj, step_words(last), trace[*earlier].note);
    return e;
  }
  if (finding.rule == RuleId::LostCancel) {
    // A client waiting for a message after a cancel closed the conversation.
    auto closed = find_back(trace, last, {EventKind::ClosesConversation}, {});
    if (closed && finding.waits) {
      e.racing_steps = {*closed, last};
      e.headline = fmt::format(
          "{} cancelled a verb and closed its conversation; {} then waits forever in "
          "GetMessage (after step {})",
          step_words(*closed), obj, last + 1);
      return e;
    }
    // A cancel, and the step that lost it.
    auto cancel = find_back(trace, last, {EventKind::Cancels, EventKind::CancelSent}, obj);
    auto lost = find_back(trace, last, {EventKind::WipesCancel, EventKind::CancelIgnored}, obj);
    if (cancel && lost && *lost > *cancel) {
      e.racing_steps = {*cancel, *lost};
      e.headline = fmt::format("{} cancelled {}; {} lost the cancel ({}), so {} stays pending",
                               step_words(*cancel), obj, step_words(*lost), trace[*lost].note, obj);
      return e;
    }
    if (cancel) {
      e.racing_steps = {*cancel};
      e.headline = fmt::format("{} cancelled {}, but nothing honoured the cancel: {}",
                               step_words(*cancel), obj, finding.message);
      return e;
    }
  }
  const bool at_step = finding.rule != RuleId::NeverCompleted &&
                       finding.rule != RuleId::LostCancel && finding.rule != RuleId::Starvation &&
                       !(finding.rule == RuleId::Deadlock && finding.waits);
  if (at_step) {
    e.racing_steps = {last};
    e.headline = fmt::format("{}: {}", step_words(last), finding.message);
  } else {
    e.headline = finding.message;
  }
  return e;
}

}  // namespace cc
