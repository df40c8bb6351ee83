// The explorer: exhaustive search of a TransitionSystem for rule violations, with limits,
// progress and shortest-trace reconstruction. Details: docs/explorer.md.
#pragma once

#include "checker/check.h"
#include "checker/result.h"
#include "engine/transition.h"

namespace cc {

/// Searches `ts` from its initial state in opts.search order (BFS: the first violation has a
/// shortest trace) and returns the verdict, the violations with full traces (described by
/// `ts`), the statistics and, when a limit stopped the search, incomplete_reason. Uses
/// opts.search, all, max_states, max_memory_mb, time_limit_s, rules, progress and interrupt;
/// leaves path, title, error and checked_rules for the caller. Exceptions thrown by `ts`
/// (e.g. describe() rejecting a label while rebuilding a trace) propagate; so does
/// std::logic_error when a re-described trace does not reach the stored states.
SpecResult explore(TransitionSystem& ts, const CheckOptions& opts);

}  // namespace cc
