// Replay: runs a counterexample's schedule (its steps' event keys and choice tokens,
// docs/replay.md) through the reference executor (reference/ref_executor.h) and checks that it
// reaches the same rule at the same step with the same API results on every step. check_spec
// confirms every violation this way; `cancelcheck replay` does it for a --json document.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "checker/result.h"
#include "model/ast.h"
#include "model/rules.h"
#include "model/source.h"

namespace cc {

/// How a replay ended.
enum class ReplayStatus : uint8_t {
  Reproduced,   ///< same rule at the same step, same calls on every step
  Clean,        ///< the schedule ran to its last step without any violation
  Misfit,       ///< the trace does not fit the spec: an event cannot move, a choice does not apply
  Mismatch,     ///< the trace and the executor disagree: calls, rule or step
  Unsupported,  ///< the executor does not run this spec or trace (NDIS, APPC, symbolic values)
};

/// The outcome of replaying one violation.
struct ReplayResult {
  ReplayStatus status = ReplayStatus::Unsupported;
  /// Misfit / Mismatch: the 1-based step where it went wrong (none: after the last step).
  std::optional<uint32_t> step;
  /// Reproduced: the rule found.
  std::optional<RuleId> rule;
  /// One line for Reproduced / Clean / Unsupported; for Misfit and Mismatch a multi-line
  /// description naming the step and showing the trace's view and the executor's.
  std::string message;
};

/// `text` (from a trace file) made safe for a terminal: C0 controls, DEL, C1 controls, bidi
/// overrides and invalid UTF-8 bytes become visible escapes (\n, \x1b, \u009b); cut after
/// about `max_bytes` bytes, saying how many were left out.
std::string printable(std::string_view text, std::size_t max_bytes = 512);

/// Replays `v.trace`. `checked` lists the rules the search checked (empty = all): the search
/// goes on past violations of unchecked rules, which the executor cannot follow, so meeting
/// one makes the result Unsupported.
ReplayResult replay_violation(const ast::Spec& spec, const SourceManager& sm, const Violation& v,
                              std::span<const RuleId> checked = {});

/// "" when `v` reproduces; otherwise the description of the first divergence (both views).
/// An Unsupported replay is described too (prefixed "not replayed: ").
std::string confirm(const ast::Spec& spec, const SourceManager& sm, const Violation& v);

/// Thrown by check_spec when the explorer's counterexample does not replay: the two
/// implementations of the semantics disagree (an internal error).
class ReplayMismatch : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace cc
