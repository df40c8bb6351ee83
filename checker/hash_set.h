// The visited set of hash-compaction mode: one 64-bit hash per state in an open-addressing
// table (linear probing, power-of-two capacity, grown at 3/4 load). docs/explorer.md.
#pragma once

#include <cstdint>
#include <vector>

namespace cc {

class HashSet {
 public:
  /// What an insertion did.
  enum class Status : uint8_t { Inserted, Found, MemoryLimit };

  /// `max_bytes` bounds the table (0 = unbounded).
  explicit HashSet(uint64_t max_bytes = 0);

  /// Adds `hash` (0 is stored as 1) unless it is there.
  Status insert(uint64_t hash);
  /// True when `hash` is stored.
  bool contains(uint64_t hash) const;
  /// Number of hashes stored.
  uint64_t size() const { return size_; }
  /// Bytes of the table.
  uint64_t memory_bytes() const { return table_.size() * sizeof(uint64_t); }
  /// Changes the memory bound.
  void set_max_bytes(uint64_t max_bytes) { max_bytes_ = max_bytes; }
  /// Largest memory_bytes() so far, including a growth's overlap of old and new table.
  uint64_t peak_memory_bytes() const { return peak_bytes_; }

 private:
  bool grow();

  std::vector<uint64_t> table_;
  uint64_t size_ = 0;
  uint64_t max_bytes_;
  uint64_t peak_bytes_ = 0;
};

}  // namespace cc
