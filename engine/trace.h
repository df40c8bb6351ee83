// One step of a counterexample as every report shows it: who moved, the API call, its result,
// the spec line and the objects' states afterwards. Produced by the semantics (model/), kept
// in the result model (checker/result.h), rendered by reports/.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cc {

/// A spec location copied out of the SourceManager so results stand alone.
struct ResultLoc {
  std::string file;   ///< path as given on the command line
  uint32_t line = 0;  ///< 1-based; 0 = no location (environment/framework step)
  uint32_t col = 0;
  std::string source;  ///< the text of that line (for reports), may be empty
};

/// The state of one object (request, NBL, verb, lock, ...) at a step, for the HTML panel.
struct ObjectView {
  std::string name;  ///< "req#1 (reads)", "nbl#2", "task#1"
  std::string kind;  ///< "request", "nbl", "task", "vcb", "lock", "event", "timer", "global"
  std::vector<std::pair<std::string, std::string>> fields;  ///< ordered (name, value)
};

/// Who moved in a step.
enum class ActorKind : uint8_t {
  Driver,      ///< a driver callback instance or thread
  Framework,   ///< KMDF / NDIS / APPC library acting on its own (dispatch, silent cancel)
  Target,      ///< the lower driver / miniport / APPC partner
  Originator,  ///< the outside world (I/O manager cancel, protocol send/cancel, power)
};

/// What a step did to an object, as explain() reads it: typed, never parsed from the words.
enum class EventKind : uint8_t {
  Completes,           ///< completed it (the driver, the framework or the lower driver)
  Frees,               ///< freed it
  Gives,               ///< gave ownership away (to a queue or a target)
  GivesBelow,          ///< sent an NBL below to a miniport
  HandlesResult,       ///< handled a verb's result
  Reuses,              ///< WdfRequestReuse
  UnmarkCancelled,     ///< WdfRequestUnmarkCancelable returned STATUS_CANCELLED for it
  ClosesConversation,  ///< an APPC cancel closed its conversation
  Cancels,             ///< the originator cancelled it
  CancelSent,          ///< WdfRequestCancelSentRequest reached it
  WipesCancel,         ///< WdfRequestReuse wiped its pending cancel
  CancelIgnored,       ///< MarkCancelableEx said it was cancelled and nobody completed it
};

/// One typed event of a step.
struct StepEvent {
  EventKind kind = EventKind::Completes;
  std::string object;  ///< "req#1", "nbl#2", "task#1"
};

/// One step of a counterexample.
struct TraceStep {
  uint32_t activity = 0;      ///< stable activity number within the trace (lane)
  std::string activity_name;  ///< "OnRead[req#1]", "EvtRequestCancel[req#1]", "target pipe"
  ActorKind actor = ActorKind::Driver;
  std::string action;   ///< "WdfRequestComplete(req#1, STATUS_CANCELLED)"
  std::string result;   ///< "TRUE", "STATUS_CANCELLED", "" for void
  std::string note;     ///< extra words ("request delivered to OnRead")
  ResultLoc loc;        ///< spec line of the step, if any
  uint32_t choice = 0;  ///< which successor among the activity's (nondeterminism)
  /// Replay protocol (docs/replay.md): the canonical key of who moved ("OnRead[req#1]",
  /// "arrive reads", "dispatch reads", "cancel req#1", "target req#1", "stop", "timer t").
  std::string event;
  /// The nondeterministic outcomes taken in this step, in execution order
  /// ("nondet:0", "send:fail", "target:complete:STATUS_SUCCESS", "stop:purge", ...).
  std::vector<std::string> choices;
  /// Every API call of the step with its integer result ("WdfRequestSend=1", "KeSetEvent").
  std::vector<std::string> calls;
  std::vector<std::pair<std::string, std::string>> symbolic_values;  ///< from Z3's model
  std::vector<ObjectView> objects;  ///< object states *after* the step
  std::vector<StepEvent> events;    ///< typed events, for explain() (not rendered)
};

}  // namespace cc
