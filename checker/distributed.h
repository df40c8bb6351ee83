// The distributed search: the same breadth-first search as the explorer over the ranks of a
// Comm, each rank owning the states whose hash falls to it. Level-synchronous with batched
// successor exchange; the global discovery order of the one-process search is rebuilt from
// (parent's level index, successor index) keys, so verdicts, counts and traces are those of
// one process. Details: docs/distributed.md.
#pragma once

#include "checker/check.h"
#include "checker/comm.h"
#include "checker/result.h"
#include "engine/transition.h"

namespace cc {

/// Searches `ts` breadth-first over the ranks of `comm` (collective: every rank calls it with
/// the same spec and options). Rank 0's result carries the violations with their traces; the
/// other ranks' results carry the same verdict, statistics and reason without traces. Limits
/// are checked between slices (a state limit may be passed by one slice); liveness is not
/// checked (the result says so). An exception of the transition system on any rank is thrown
/// on every rank (ModelLimit as ModelLimit, anything else as std::runtime_error).
SpecResult explore_distributed(TransitionSystem& ts, const CheckOptions& opts, Comm& comm);

/// The rank that owns a state with this hash among `ranks` ranks.
uint32_t owner_of(uint64_t hash, uint32_t ranks);

}  // namespace cc
