#include "checker/state_store.h"

#include <algorithm>
#include <bit>
#include <cstring>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace cc {

namespace {

constexpr uint64_t kInitialCapacity = 1024;
constexpr uint64_t kMaxCapacity = 1ULL << 32;  // slot ids need id_bits <= 32
constexpr uint64_t kMaxIds = UINT32_MAX - 1;   // UINT32_MAX is StateId::none()
constexpr std::size_t kChunkTargetBytes = 256 << 10;
constexpr std::size_t kMinChunkStates = 16;

// Grow when size would exceed 0.7 x capacity.
uint64_t grow_threshold(uint64_t capacity) {
  return capacity / 10 * 7 + capacity % 10 * 7 / 10;
}

}  // namespace

uint64_t hash_state(std::span<const uint8_t> state) {
  return XXH3_64bits(state.data(), state.size());
}

StateStore::StateStore(std::size_t state_size, uint64_t max_states, uint64_t max_bytes, HashFn hash)
    : state_size_(state_size), max_states_(max_states), max_bytes_(max_bytes), hash_fn_(hash) {
  const std::size_t record = state_size_ + 2 * sizeof(uint32_t);
  std::size_t k = kMinChunkStates;
  while (k * 2 * record <= kChunkTargetBytes && k * 2 <= (std::size_t{1} << 31)) k *= 2;
  chunk_shift_ = static_cast<uint32_t>(std::countr_zero(k));
  chunk_mask_ = static_cast<uint32_t>(k - 1);
  labels_offset_ = k * sizeof(uint32_t);
  states_offset_ = labels_offset_ + k * sizeof(Label);
  chunk_bytes_ = states_offset_ + k * state_size_;
  set_capacity(kInitialCapacity);
  note_memory(memory_bytes());
}

uint64_t StateStore::memory_bytes() const {
  return capacity_ * sizeof(uint32_t) + chunks_.size() * uint64_t{chunk_bytes_} +
         chunks_.capacity() * sizeof(chunks_[0]);
}

uint64_t StateStore::hash(std::span<const uint8_t> s) const {
  return hash_fn_ != nullptr ? hash_fn_(s) : XXH3_64bits(s.data(), s.size());
}

void StateStore::set_capacity(uint64_t capacity) {
  table_ = std::make_unique<uint32_t[]>(capacity);  // zeroed: every slot empty
  capacity_ = capacity;
  grow_at_ = std::min(grow_threshold(capacity), kMaxIds);
  id_bits_ = static_cast<uint32_t>(std::countr_zero(capacity));
  id_mask_ = id_bits_ >= 32 ? UINT32_MAX : (uint32_t{1} << id_bits_) - 1;
}

void StateStore::locate(uint64_t h, uint64_t& index, uint32_t& tag) const {
  index = h & (capacity_ - 1);
  tag = static_cast<uint32_t>(h >> 32) & ~id_mask_;
}

StateId StateStore::find(std::span<const uint8_t> state) const {
  uint64_t index;
  uint32_t tag;
  locate(hash(state), index, tag);
  const uint64_t mask = capacity_ - 1;
  for (;; index = (index + 1) & mask) {
    const uint32_t slot = table_[index];
    if (slot == 0) return StateId::none();
    if ((slot & ~id_mask_) != tag) continue;
    const StateId id{(slot & id_mask_) - 1};
    if (equal(id, state)) return id;
  }
}

bool StateStore::grow() {
  const uint64_t new_capacity = capacity_ * 2;
  if (new_capacity > kMaxCapacity) return false;
  const uint64_t during = memory_bytes() + new_capacity * sizeof(uint32_t);
  if (max_bytes_ != 0 && during > max_bytes_) return false;
  note_memory(during);
  set_capacity(new_capacity);
  // Re-insert every state in id order (deterministic table contents).
  const uint64_t mask = capacity_ - 1;
  for (uint64_t i = 0; i < size_; ++i) {
    const StateId id{static_cast<uint32_t>(i)};
    uint64_t index;
    uint32_t tag;
    locate(hash(state(id)), index, tag);
    while (table_[index] != 0) index = (index + 1) & mask;
    table_[index] = tag | (id.value + 1);
  }
  return true;
}

StateStore::InsertResult StateStore::insert(std::span<const uint8_t> state, StateId parent,
                                            Label label) {
  const uint64_t h = hash(state);
  uint64_t index;
  uint32_t tag;
  locate(h, index, tag);
  uint64_t mask = capacity_ - 1;
  for (;; index = (index + 1) & mask) {
    const uint32_t slot = table_[index];
    if (slot == 0) break;
    if ((slot & ~id_mask_) != tag) continue;
    const StateId id{(slot & id_mask_) - 1};
    if (equal(id, state)) return {id, Status::Found};
  }

  // New state.
  if ((max_states_ != 0 && size_ >= max_states_) || size_ >= kMaxIds) {
    return {StateId::none(), Status::StateLimit};
  }
  if (size_ + 1 > grow_at_) {
    if (!grow()) {
      return {StateId::none(),
              capacity_ * 2 > kMaxCapacity ? Status::StateLimit : Status::MemoryLimit};
    }
    locate(h, index, tag);
    mask = capacity_ - 1;
    while (table_[index] != 0) index = (index + 1) & mask;
  }
  const StateId id{static_cast<uint32_t>(size_)};
  const std::size_t c = id.value >> chunk_shift_;
  if (c == chunks_.size()) {
    if (max_bytes_ != 0 && memory_bytes() + chunk_bytes_ > max_bytes_) {
      return {StateId::none(), Status::MemoryLimit};
    }
    chunks_.push_back(std::make_unique_for_overwrite<uint8_t[]>(chunk_bytes_));
    note_memory(memory_bytes());
  }
  uint8_t* base = chunks_[c].get();
  const std::size_t k = id.value & chunk_mask_;
  std::memcpy(base + k * sizeof(uint32_t), &parent.value, sizeof(uint32_t));
  std::memcpy(base + labels_offset_ + k * sizeof(Label), &label, sizeof(Label));
  if (state_size_ != 0) {
    std::memcpy(base + states_offset_ + k * state_size_, state.data(), state_size_);
  }
  table_[index] = tag | (id.value + 1);
  ++size_;
  return {id, Status::Inserted};
}

}  // namespace cc
