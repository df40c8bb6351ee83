#include "checker/hash_set.h"

#include <algorithm>

namespace cc {

namespace {
constexpr uint64_t kInitialSlots = 1024;
}

HashSet::HashSet(uint64_t max_bytes) : table_(kInitialSlots, 0), max_bytes_(max_bytes) {
  peak_bytes_ = memory_bytes();
}

bool HashSet::grow() {
  const uint64_t slots = table_.size() * 2;
  const uint64_t during = memory_bytes() + slots * sizeof(uint64_t);
  if (max_bytes_ != 0 && during > max_bytes_) return false;
  std::vector<uint64_t> next(slots, 0);
  peak_bytes_ = std::max(peak_bytes_, during);
  const uint64_t mask = slots - 1;
  for (const uint64_t h : table_) {
    if (h == 0) continue;
    uint64_t i = h & mask;
    while (next[i] != 0) i = (i + 1) & mask;
    next[i] = h;
  }
  table_.swap(next);
  return true;
}

bool HashSet::contains(uint64_t hash) const {
  const uint64_t h = hash == 0 ? 1 : hash;
  const uint64_t mask = table_.size() - 1;
  for (uint64_t i = h & mask; table_[i] != 0; i = (i + 1) & mask) {
    if (table_[i] == h) return true;
  }
  return false;
}

HashSet::Status HashSet::insert(uint64_t hash) {
  const uint64_t h = hash == 0 ? 1 : hash;
  uint64_t mask = table_.size() - 1;
  uint64_t i = h & mask;
  for (; table_[i] != 0; i = (i + 1) & mask) {
    if (table_[i] == h) return Status::Found;
  }
  if ((size_ + 1) * 4 > table_.size() * 3) {
    if (!grow()) return Status::MemoryLimit;
    mask = table_.size() - 1;
    for (i = h & mask; table_[i] != 0; i = (i + 1) & mask) {
    }
  }
  table_[i] = h;
  ++size_;
  return Status::Inserted;
}

}  // namespace cc
