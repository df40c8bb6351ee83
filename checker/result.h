// The result model: what a check found, in a form every report renders (text, JSON, HTML,
// SARIF, JUnit) and `replay` reads back. Plain data, no pointers into the AST.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/rules.h"

namespace cc {

/// Position of a step in a trace (0-based).
struct StepIndex {
  uint32_t value = 0;
  friend auto operator<=>(StepIndex, StepIndex) = default;
};

/// A spec location copied out of the SourceManager so results stand alone.
struct ResultLoc {
  std::string file;    ///< path as given on the command line
  uint32_t line = 0;   ///< 1-based; 0 = no location (environment/framework step)
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
  Driver,       ///< a driver callback instance or thread
  Framework,    ///< KMDF / NDIS / APPC library acting on its own (dispatch, silent cancel)
  Target,       ///< the lower driver / miniport / APPC partner
  Originator,   ///< the outside world (I/O manager cancel, protocol send/cancel, power)
};

/// One step of a counterexample.
struct TraceStep {
  uint32_t activity = 0;        ///< stable activity number within the trace (lane)
  std::string activity_name;    ///< "OnRead[req#1]", "EvtRequestCancel[req#1]", "target pipe"
  ActorKind actor = ActorKind::Driver;
  std::string action;           ///< "WdfRequestComplete(req#1, STATUS_CANCELLED)"
  std::string result;           ///< "TRUE", "STATUS_CANCELLED", "" for void
  std::string note;             ///< extra words ("request delivered to OnRead")
  ResultLoc loc;                ///< spec line of the step, if any
  uint32_t choice = 0;          ///< which successor among the activity's (nondeterminism)
  std::vector<std::pair<std::string, std::string>> symbolic_values;  ///< from Z3's model
  std::vector<ObjectView> objects;  ///< object states *after* the step
};

/// A property violation with its shortest trace.
struct Violation {
  RuleId rule = RuleId::Assertion;
  std::string message;      ///< one line: what went wrong, naming objects
  std::string headline;     ///< the race in one sentence, naming the two racing steps
  ResultLoc loc;            ///< where it is reported (the violating step's spec line)
  std::vector<TraceStep> trace;
  std::optional<StepIndex> violating_step;  ///< none for end-state violations
  std::vector<StepIndex> racing_steps;      ///< the steps to highlight (usually two)
  bool replayed = false;    ///< confirmed by the reference executor
  bool accepted = false;    ///< matched an entry of the baseline (reports/baseline.h)
};

/// The outcome of checking one spec.
enum class Verdict : uint8_t {
  Pass,        ///< complete search, no violation
  Violation,   ///< at least one violation
  Incomplete,  ///< a limit stopped the search before a verdict
  Error,       ///< spec error (diagnostics) or internal error
};

/// Search statistics.
struct Stats {
  uint64_t states = 0;
  uint64_t transitions = 0;
  uint32_t max_depth = 0;
  uint32_t state_bytes = 0;      ///< packed state size
  uint64_t peak_memory_bytes = 0;
  double seconds = 0.0;
  uint64_t z3_queries = 0;
  uint64_t z3_cached = 0;
  double z3_seconds = 0.0;
};

/// Result for one spec file.
struct SpecResult {
  std::string path;
  std::string title;
  Verdict verdict = Verdict::Pass;
  std::vector<Violation> violations;
  Stats stats;
  std::string incomplete_reason;  ///< "state limit 1000000 reached", "interrupted", ...
  std::string error;              ///< rendered diagnostics or internal error text
  std::vector<RuleId> checked_rules;  ///< rules the search checked, in id order; empty = all
};

/// Result of a whole `check` run.
struct RunResult {
  std::string tool_version;
  std::vector<SpecResult> specs;
};

/// "pass" / "violation" / "incomplete" / "error".
std::string_view verdict_name(Verdict v);

}  // namespace cc
