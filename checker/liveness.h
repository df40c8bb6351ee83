// The liveness pass (docs/liveness.md): after the search, a fair-SCC analysis of the searched
// graph finds reachable fair cycles in which a received request, NBL or verb stays pending
// (CR005, CR003) or an activity stays blocked (CR014), and reports each as a lasso: a
// shortest stem and a concrete cycle that repeats for ever.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "checker/check.h"
#include "checker/result.h"
#include "checker/state_store.h"
#include "engine/transition.h"

namespace cc {

/// The edges of the searched graph, recorded by the explorer: per expanded state, the ids of
/// the stored successors its expansion delivered (a reduced expansion's only). Flat arrays.
class EdgeLog {
 public:
  /// Records the edge `from` -> `to` (all edges of one state one after another); false, with
  /// nothing recorded, when growing the log would take it past its byte budget.
  bool add(StateId from, StateId to);
  /// Bounds the bytes the log may hold while it grows (old and new arrays together); 0 = none.
  void set_max_bytes(uint64_t bytes) { max_bytes_ = bytes; }
  /// True when recording an edge from `from` now would grow an array (set the budget first).
  bool grows(StateId from) const {
    return targets_.size() == targets_.capacity() ||
           (from.value >= begin_.size() && from.value >= begin_.capacity());
  }
  /// The recorded successors of state `s` (empty when it was not expanded).
  std::span<const uint32_t> out(uint32_t s) const {
    if (s >= begin_.size() || begin_[s] == kNone) return {};
    return {targets_.data() + begin_[s], count_[s]};
  }
  /// Bytes held (counted towards the memory limit).
  uint64_t bytes() const {
    return targets_.capacity() * 4 + begin_.capacity() * 4 + count_.capacity() * 4;
  }
  /// True when more edges were recorded than 32-bit offsets address (the pass cannot run).
  bool overflow() const { return overflow_; }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  std::vector<uint32_t> targets_;
  std::vector<uint32_t> begin_;  ///< per state: its first edge in targets_, kNone = none
  std::vector<uint32_t> count_;  ///< per state: its edges
  uint32_t last_ = kNone;        ///< the state whose edges are being recorded
  bool overflow_ = false;
  uint64_t max_bytes_ = 0;
  /// Makes room for one more element in `v` (doubling); false past the byte budget.
  bool room(std::vector<uint32_t>& v, std::size_t size, std::size_t copies);
};

/// What the liveness pass may use and when it must stop.
struct LivenessBudget {
  uint64_t max_bytes = 0;   ///< bytes for the pass's own structures; 0 = unlimited
  uint64_t max_states = 0;  ///< concrete states of the cycle analysis; 0 = unlimited
  /// Polled now and then: a non-empty answer stops the pass (time limit, interrupt).
  std::function<std::string()> stop;
};

/// The outcome of the liveness pass.
struct LivenessResult {
  std::vector<Violation> violations;  ///< lassos, shortest stems first
  std::string incomplete_reason;      ///< why the pass stopped early; "" when it finished
  uint64_t peak_bytes = 0;            ///< the pass's own structures at their largest
  uint64_t cyclic_states = 0;         ///< stored states on a cycle (in a non-trivial SCC)
  uint64_t concrete_states = 0;       ///< concrete states the cycle analysis visited
};

/// Runs the pass over the stored graph (`store`, `edges`) of a finished search of `ts` with
/// `opts`; `checked` says which rules are checked. One violation unless opts.all.
LivenessResult check_liveness(TransitionSystem& ts, const CheckOptions& opts,
                              const StateStore& store, const EdgeLog& edges,
                              const std::array<bool, kRuleCount>& checked,
                              const LivenessBudget& budget);

}  // namespace cc
