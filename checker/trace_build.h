// Turning a violation the search found into its reported trace: the stored path re-described
// step by step (and made concrete under reductions), explained and located. Shared by the
// one-process explorer and the distributed search (checker/distributed.h).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "checker/check.h"
#include "checker/result.h"
#include "engine/transition.h"

namespace cc {

/// The way to a violation as the search stored it: `labels[i]` leads from the i-th state of
/// the path to the next, the first being the initial state. `packed` holds the path's stored
/// (packed) states, initial state first, one more than labels; empty when the search kept
/// no states (hash compaction): the labels are then re-applied from the initial state.
struct StoredPath {
  std::vector<Label> labels;
  std::vector<std::vector<uint8_t>> packed;
};

/// The reported violation for the search's finding `found`, reached by `path` and, for a transition
/// finding, the violating transition `violating` from the path's last state (none: an end-state
/// finding about that state). `rules` are the checked rules. Throws std::logic_error when the
/// re-described trace does not reach the stored states (describe() disagrees with successors()).
Violation build_violation(TransitionSystem& ts, const CheckOptions& opts,
                          const std::array<bool, kRuleCount>& rules, const StoredPath& path,
                          std::optional<Label> violating, const Finding& found);

}  // namespace cc
