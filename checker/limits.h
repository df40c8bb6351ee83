// The words for a limit that stopped a search: one text for the explorer and the distributed
// search ("state limit 1000000 reached after 1000000 states (depth 17)").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "checker/check.h"

namespace cc {

/// Which limit stopped a search.
enum class LimitHit : uint8_t { States, StateIds, Memory, Time, Interrupt };

/// The incomplete reason for `hit` after `states` stored states, the deepest at `depth`;
/// `where` is appended after the memory limit (" on one of the ranks").
std::string limit_reason(LimitHit hit, const CheckOptions& opts, uint64_t states, uint32_t depth,
                         std::string_view where = {});

}  // namespace cc
