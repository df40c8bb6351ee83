// The successors of a persistent set, held until the cycle proviso has been checked: shared by
// the explorer and the distributed search (which asks other ranks about them first).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "checker/state_store.h"
#include "engine/transition.h"

namespace cc {

/// Holds the successors of a persistent set until the cycle proviso has been checked. With
/// a packer, it keeps each state packed and hashed as the store will take it (so that the
/// proviso's lookups and the insertions share one packing and one hash); without, the
/// states themselves and the hash of their bytes (hash compaction).
class ReducedSink final : public SuccessorSink {
 public:
  /// `packer` packs each state as the store takes it; null keeps the states unpacked.
  explicit ReducedSink(const TransitionSystem* packer) : packer_(packer) {}
  void on_successor(Label label, std::span<const uint8_t> state, const Finding* finding) override {
    const std::size_t at = bytes_.size();
    std::size_t size = state.size();
    if (packer_ != nullptr) {
      bytes_.resize(at + state.size());
      size = packer_->pack(state, bytes_.data() + at);
      bytes_.resize(at + size);
    } else {
      bytes_.insert(bytes_.end(), state.begin(), state.end());
    }
    entries_.push_back({label, at, size, hash_state({bytes_.data() + at, size}),
                        finding != nullptr ? static_cast<int32_t>(findings_.size()) : -1});
    if (finding != nullptr) findings_.push_back(*finding);
  }
  /// Bytes held (for memory accounting).
  uint64_t bytes() const {
    return entries_.capacity() * sizeof(Entry) + bytes_.capacity() +
           findings_.capacity() * sizeof(Finding);
  }
  /// Forgets the collected successors, keeping the memory.
  void clear() {
    entries_.clear();
    bytes_.clear();
    findings_.clear();
  }
  /// True when `seen(bytes, hash)` holds for none of the collected states that are not
  /// findings.
  template <typename Seen>
  bool none_seen(Seen&& seen) const {
    for (const Entry& e : entries_) {
      if (e.finding < 0 &&
          seen(std::span<const uint8_t>(bytes_.data() + e.offset, e.size), e.hash)) {
        return false;
      }
    }
    return true;
  }
  /// Calls f(label, bytes, hash, finding or nullptr) on the collected successors, in order.
  template <typename F>
  void for_each(F&& f) const {
    for (const Entry& e : entries_) {
      f(e.label, std::span<const uint8_t>(bytes_.data() + e.offset, e.size), e.hash,
        e.finding >= 0 ? &findings_[static_cast<std::size_t>(e.finding)] : nullptr);
    }
  }

 private:
  struct Entry {
    Label label;
    std::size_t offset;
    std::size_t size;
    uint64_t hash;
    int32_t finding;  ///< index into findings_, or -1
  };
  const TransitionSystem* packer_;
  std::vector<Entry> entries_;
  std::vector<uint8_t> bytes_;
  std::vector<Finding> findings_;
};

}  // namespace cc
