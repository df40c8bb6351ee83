// The result model: what a check found, in a form every report renders (text, JSON, HTML,
// SARIF, JUnit) and `replay` reads back. Plain data, no pointers into the AST.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/trace.h"
#include "model/rules.h"

namespace cc {

/// Position of a step in a trace (0-based).
struct StepIndex {
  uint32_t value = 0;
  friend auto operator<=>(StepIndex, StepIndex) = default;
};

/// A property violation with its shortest trace.
struct Violation {
  RuleId rule = RuleId::Assertion;
  std::string message;   ///< one line: what went wrong, naming objects
  std::string headline;  ///< the race in one sentence, naming the two racing steps
  ResultLoc loc;         ///< where it is reported (the violating step's spec line)
  std::vector<TraceStep> trace;
  std::optional<StepIndex> violating_step;  ///< none for end-state violations
  std::vector<StepIndex> racing_steps;      ///< the steps to highlight (usually two)
  /// A lasso (liveness, docs/liveness.md): the steps from here on form a cycle that returns
  /// to the state before this step and repeats for ever; none for a finite trace.
  std::optional<StepIndex> loop_start;
  std::string stays;           ///< lasso: the object that stays pending, or the blocked lane
  bool stays_blocked = false;  ///< lasso: `stays` is an activity that stays blocked (CR014)
  bool replayed = false;       ///< confirmed by the reference executor
  bool accepted = false;       ///< matched an entry of the baseline (reports/baseline.h)
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
  uint32_t state_bytes = 0;   ///< state size (the semantics' fixed layout)
  uint32_t packed_bytes = 0;  ///< mean size of the stored (packed) states
  uint64_t peak_memory_bytes = 0;
  double seconds = 0.0;
  uint64_t z3_queries = 0;
  uint64_t z3_cached = 0;
  double z3_seconds = 0.0;
  /// Hash compaction: states were kept as 64-bit hashes, so a pass is probabilistic.
  bool hash_compaction = false;
  /// States whose expansion partial-order reduction limited to a persistent set.
  uint64_t reduced = 0;
  uint64_t cyclic_states = 0;    ///< liveness: stored states on a cycle (non-trivial SCCs)
  uint64_t concrete_states = 0;  ///< liveness: concrete states of the cycle analysis
};

/// Upper bound on the probability that hash compaction hid a state: states^2 / 2^65.
double omission_probability(const Stats& st);

/// Whether the liveness pass (docs/liveness.md) looked at a spec.
enum class LivenessRun : uint8_t {
  Checked,     ///< the pass ran to its end (or found its violations)
  Off,         ///< --liveness off
  NotChecked,  ///< it could not run: SpecResult::liveness_note says why
};

/// Result for one spec file.
struct SpecResult {
  std::string path;
  std::string title;
  Verdict verdict = Verdict::Pass;
  std::vector<Violation> violations;
  Stats stats;
  std::string incomplete_reason;  ///< "state limit 1000000 reached", "interrupted", ...
  LivenessRun liveness = LivenessRun::Off;
  std::string liveness_note;          ///< why the liveness pass did not run (NotChecked)
  std::string error;                  ///< rendered diagnostics or internal error text
  std::vector<RuleId> checked_rules;  ///< rules the search checked, in id order; empty = all
  /// spec_content_hash of the spec file as checked; empty when unknown (an older document, a
  /// spec that could not be read). `replay` refuses a spec whose hash differs.
  std::string spec_hash;
};

/// Result of a whole `check` run.
struct RunResult {
  std::string tool_version;
  std::vector<SpecResult> specs;
};

/// The content hash of a spec file's bytes as written in results: "xxh64:" and the 16 hex
/// digits of XXH64 (seed 0), the value `xxhsum -H64` prints.
std::string spec_content_hash(std::string_view bytes);

/// "checked" / "off" / "not checked".
std::string_view liveness_name(LivenessRun l);

/// "pass" / "violation" / "incomplete" / "error".
std::string_view verdict_name(Verdict v);

/// True when the spec's search did not finish: an Incomplete verdict, or violations found
/// before a limit (--all) stopped the search. Every report and the exit code use this.
bool search_incomplete(const SpecResult& r);

/// What a whole run amounts to: the counts and summed statistics of the text summary, the HTML
/// index, the JUnit/SARIF totals and the exit code, counted here once for all of them.
struct RunTotals {
  std::size_t pass = 0;                  ///< specs with the verdict pass
  std::size_t violation = 0;             ///< specs with the verdict violation
  std::size_t incomplete = 0;            ///< specs whose search did not finish (search_incomplete)
  std::size_t incomplete_violating = 0;  ///< ... of which have the verdict violation
  std::size_t error = 0;                 ///< specs with the verdict error
  std::size_t violations = 0;            ///< violations found, accepted ones included
  std::size_t accepted = 0;              ///< violations accepted by the baseline
  /// states, transitions, seconds and the Z3 counts and time summed, max_depth the deepest;
  /// the other fields (sizes, memory, reduced, hash_compaction) stay zero.
  Stats stats;
};

/// The totals of a run, over its specs in order.
RunTotals totals(const RunResult& run);

}  // namespace cc
