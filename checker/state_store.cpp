#include "checker/state_store.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace cc {

namespace {

constexpr uint64_t kInitialCapacity = 1024;
constexpr uint64_t kMaxCapacity = 1ULL << 32;  // slot ids need at most 32 bits
constexpr uint64_t kMaxIds = UINT32_MAX - 1;   // UINT32_MAX is StateId::none()
constexpr std::size_t kBlockTargetBytes = 4 << 10;
constexpr std::size_t kMinByteChunk = 64 << 10;
constexpr std::size_t kMinBlockStates = 16;
constexpr std::size_t kHugePage = 2 << 20;
constexpr std::size_t kBigChunkBytes = 2 * kHugePage;
constexpr unsigned kRehashBatch = 16;

// Grow when size would exceed 0.7 x capacity.
uint64_t grow_threshold(uint64_t capacity) {
  return capacity / 10 * 7 + capacity % 10 * 7 / 10;
}

}  // namespace

// Large allocations (whole multiples of 2 MiB) are mapped directly, 2 MiB aligned and marked
// for transparent huge pages: fresh pages are already zero, and a table or arena of
// gigabytes takes far fewer page faults and TLB misses.
uint8_t* StateStore::allocate(std::size_t bytes, bool zero) {
  if (bytes >= kHugePage && bytes % kHugePage == 0) {
    const std::size_t span = bytes + kHugePage;
    void* m = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) throw std::bad_alloc();
    auto* raw = static_cast<uint8_t*>(m);
    const auto addr = reinterpret_cast<std::uintptr_t>(raw);
    uint8_t* p = raw + ((kHugePage - addr % kHugePage) % kHugePage);
    if (p != raw) munmap(raw, static_cast<std::size_t>(p - raw));
    const std::size_t tail = static_cast<std::size_t>(raw + span - (p + bytes));
    if (tail != 0) munmap(p + bytes, tail);
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
  }
  void* p = zero ? std::calloc(bytes, 1) : std::malloc(bytes);
  if (p == nullptr) throw std::bad_alloc();
  return static_cast<uint8_t*>(p);
}

void StateStore::release(void* p, std::size_t bytes) {
  if (p == nullptr) return;
  if (bytes >= kHugePage && bytes % kHugePage == 0) {
    munmap(p, bytes);
  } else {
    std::free(p);
  }
}

uint64_t hash_state(std::span<const uint8_t> state) {
  return XXH3_64bits(state.data(), state.size());
}

StateStore::StateStore(std::size_t state_size, uint64_t max_states, uint64_t max_bytes, HashFn hash)
    : state_size_(state_size), max_states_(max_states), max_bytes_(max_bytes), hash_fn_(hash) {
  const std::size_t record = sizeof(uint32_t) + sizeof(Label) + sizeof(uint32_t);
  std::size_t k = kMinBlockStates;
  while (k * 2 * record <= kBlockTargetBytes) k *= 2;
  block_shift_ = static_cast<uint32_t>(std::countr_zero(k));
  block_mask_ = static_cast<uint32_t>(k - 1);
  labels_offset_ = k * sizeof(uint32_t);
  ends_offset_ = labels_offset_ + k * sizeof(Label);
  block_bytes_ = ends_offset_ + k * sizeof(uint32_t);

  table_ = reinterpret_cast<uint32_t*>(allocate(kInitialCapacity * sizeof(uint32_t), true));
  capacity_ = kInitialCapacity;
  grow_at_ = grow_threshold(capacity_);
  id_mask_ = static_cast<uint32_t>(capacity_ - 1);
  note_memory(memory_bytes());
}

StateStore::~StateStore() {
  release(table_, capacity_ * sizeof(uint32_t));
  for (const Chunk& c : chunks_) release(c.data, c.bytes);
  for (const Chunk& c : byte_chunks_) release(c.data, c.bytes);
  release(spare_table_, spare_capacity_ * sizeof(uint32_t));
}

bool StateStore::may_move(uint64_t states) const {
  if (states == 0) return false;
  if (size_ + states > grow_at_) return true;
  // add_chunk() appends a chunk's blocks to blocks_ and block_base_ when a state needs a
  // block beyond them: only that may reallocate the block index.
  const uint64_t last_block = (size_ + states - 1) >> block_shift_;
  uint64_t blocks = blocks_.size();
  if (last_block < blocks) return false;
  while (blocks <= last_block) blocks += next_chunk(blocks).second;
  return blocks > blocks_.capacity() || blocks > block_base_.capacity();
}

bool StateStore::prepare_growth(uint64_t lookahead) {
  if (spare_table_ != nullptr || size_ + lookahead <= grow_at_) return false;
  const uint64_t capacity = capacity_ * 2;
  if (capacity > kMaxCapacity) return false;
  const std::size_t bytes = capacity * sizeof(uint32_t);
  // Well within the bound only: near it, the growth happens when one thread would do it.
  if (max_bytes_ != 0 && memory_bytes() + 2 * bytes + capacity_ * sizeof(uint32_t) > max_bytes_) {
    return false;
  }
  spare_table_ = reinterpret_cast<uint32_t*>(allocate(bytes, true));
  spare_capacity_ = capacity;
  spare_bytes_ += bytes;
  spare_filled_ = 0;
  spare_target_ = size_;
  note_memory(memory_bytes());
  return true;
}

void StateStore::fill_grown_table() {
  rehash_into(spare_table_, spare_capacity_, 0, spare_target_);
  spare_filled_ = spare_target_;
}

void StateStore::rehash_into(uint32_t* table, uint64_t capacity, uint64_t first,
                             uint64_t last) const {
  // Every state in id order (deterministic table contents), hashing a batch and prefetching
  // its slots before placing it.
  const uint64_t mask = capacity - 1;
  const uint32_t id_mask = capacity >= kMaxCapacity ? UINT32_MAX : static_cast<uint32_t>(mask);
  uint64_t hashes[kRehashBatch];
  for (uint64_t batch = first; batch < last; batch += kRehashBatch) {
    const unsigned n = static_cast<unsigned>(std::min<uint64_t>(kRehashBatch, last - batch));
    for (unsigned j = 0; j < n; ++j) {
      hashes[j] = hash(state(StateId{static_cast<uint32_t>(batch + j)}));
      __builtin_prefetch(&table[hashes[j] & mask]);
    }
    for (unsigned j = 0; j < n; ++j) {
      uint64_t i = hashes[j] & mask;
      while (table[i] != 0) i = (i + 1) & mask;
      const uint32_t tag = static_cast<uint32_t>(hashes[j] >> 32) & ~id_mask;
      table[i] = tag | static_cast<uint32_t>(batch + j + 1);
    }
  }
}

StateId StateStore::find_hashed(std::span<const uint8_t> state, uint64_t h) const {
  const uint64_t mask = capacity_ - 1;
  const uint32_t tag = static_cast<uint32_t>(h >> 32) & ~id_mask_;
  for (uint64_t i = h & mask;; i = (i + 1) & mask) {
    // Acquire: a slot filled by a concurrent insertion comes with its state's bytes.
    const uint32_t slot = std::atomic_ref<uint32_t>(table_[i]).load(std::memory_order_acquire);
    if (slot == 0) return StateId::none();
    if ((slot & ~id_mask_) != tag) continue;
    const StateId id{(slot & id_mask_) - 1};
    if (equal(id, state)) return id;
  }
}

bool StateStore::grow() {
  // A table prepared ahead (prepare_growth()) is used and counted already (spare_bytes_).
  const uint64_t capacity = spare_table_ != nullptr ? spare_capacity_ : capacity_ * 2;
  if (capacity > kMaxCapacity) return false;
  const std::size_t bytes = capacity * sizeof(uint32_t);
  const uint64_t during = memory_bytes() + (spare_table_ != nullptr ? 0 : bytes);
  if (max_bytes_ != 0 && during > max_bytes_) return false;
  uint32_t* table = spare_table_;
  uint64_t filled = 0;  // states in the new table already
  if (table != nullptr) {
    spare_table_ = nullptr;
    spare_bytes_ -= bytes;
    filled = spare_filled_;
    spare_filled_ = 0;
  } else {
    table = reinterpret_cast<uint32_t*>(allocate(bytes, true));
  }
  note_memory(during);
  release(table_, capacity_ * sizeof(uint32_t));
  table_ = table;
  capacity_ = capacity;
  grow_at_ = std::min(grow_threshold(capacity_), kMaxIds);
  id_mask_ = capacity_ >= kMaxCapacity ? UINT32_MAX : static_cast<uint32_t>(capacity_ - 1);

  rehash_into(table_, capacity_, filled, size_);
  return true;
}

std::pair<std::size_t, std::size_t> StateStore::next_chunk(std::size_t blocks_now) const {
  // Chunks double with the arena (small runs stay small) up to kBigChunkBytes.
  const std::size_t max_blocks = std::max<std::size_t>(1, kBigChunkBytes / block_bytes_);
  const std::size_t blocks = std::clamp<std::size_t>(blocks_now, 1, max_blocks);
  const std::size_t bytes = blocks == max_blocks && block_bytes_ <= kBigChunkBytes
                                ? kBigChunkBytes
                                : blocks * block_bytes_;
  return {bytes, bytes / block_bytes_};
}

bool StateStore::add_chunk() {
  auto [bytes, blocks] = next_chunk(blocks_.size());
  if (max_bytes_ != 0 && memory_bytes() + bytes > max_bytes_) {
    blocks = 1;  // close to the limit: one block if it still fits
    bytes = block_bytes_;
    if (memory_bytes() + bytes > max_bytes_) return false;
  }
  uint8_t* data = allocate(bytes, false);
  chunks_.push_back(Chunk{data, bytes});
  for (std::size_t b = 0; b < blocks; ++b) blocks_.push_back(data + b * block_bytes_);
  arena_bytes_ += bytes;
  note_memory(memory_bytes());
  return true;
}

bool StateStore::reserve_bytes(std::size_t bytes, std::size_t block_used) {
  if (static_cast<std::size_t>(bytes_end_ - bytes_next_) >= bytes) return true;
  const std::size_t need = block_used + bytes;
  // Chunks double with the arena (small runs stay small) up to kBigChunkBytes.
  std::size_t size = std::clamp<std::size_t>(bytes_arena_, kMinByteChunk, kBigChunkBytes);
  while (size < need) size *= 2;
  if (max_bytes_ != 0 && memory_bytes() + size > max_bytes_) {
    size = (need + 4095) / 4096 * 4096;  // close to the limit: just what is needed
    if (memory_bytes() + size > max_bytes_) return false;
  }
  const Chunk c{allocate(size, false), size};
  byte_chunks_.push_back(c);
  bytes_arena_ += c.bytes;
  // The current block's states so far move along, so that its states stay back to back (the
  // old copy stays where it is: spans handed out before remain valid).
  const std::size_t b = size_ >> block_shift_;
  if (block_used != 0) {
    std::memcpy(c.data, block_base_[b], block_used);
    std::atomic_ref<uint8_t*>(block_base_[b]).store(c.data, std::memory_order_release);
  }
  bytes_next_ = c.data + block_used;
  bytes_end_ = c.data + c.bytes;
  note_memory(memory_bytes());
  return true;
}

StateStore::InsertResult StateStore::insert_hashed(std::span<const uint8_t> state, uint64_t h,
                                                   StateId parent, Label label) {
  uint64_t mask = capacity_ - 1;
  uint32_t tag = static_cast<uint32_t>(h >> 32) & ~id_mask_;
  uint64_t i = h & mask;
  for (;; i = (i + 1) & mask) {
    const uint32_t slot = table_[i];
    if (slot == 0) break;
    if ((slot & ~id_mask_) != tag) continue;
    const StateId id{(slot & id_mask_) - 1};
    if (equal(id, state)) return {id, Status::Found};
  }

  // A new state.
  if ((max_states_ != 0 && size_ >= max_states_) || size_ >= kMaxIds) {
    return {StateId::none(), Status::StateLimit};
  }
  if (size_ + 1 > grow_at_) {
    if (!grow()) {
      return {StateId::none(),
              capacity_ * 2 > kMaxCapacity ? Status::StateLimit : Status::MemoryLimit};
    }
    mask = capacity_ - 1;
    tag = static_cast<uint32_t>(h >> 32) & ~id_mask_;
    for (i = h & mask; table_[i] != 0; i = (i + 1) & mask) {
    }
  }
  const StateId id{static_cast<uint32_t>(size_)};
  const std::size_t b = id.value >> block_shift_;
  if (b == blocks_.size()) {
    if (!add_chunk()) return {StateId::none(), Status::MemoryLimit};
    block_base_.resize(blocks_.size(), nullptr);
  }
  uint8_t* base = blocks_[b];
  const std::size_t k = id.value & block_mask_;
  const uint32_t begin = k == 0 ? 0 : end_offset(base, k - 1);
  if (state.size() > state_size_ || uint64_t{begin} + state.size() > UINT32_MAX) {
    throw std::length_error("state longer than the store's state size");
  }
  if (!reserve_bytes(state.size(), begin)) return {StateId::none(), Status::MemoryLimit};
  if (k == 0) block_base_[b] = bytes_next_;
  if (!state.empty()) std::memcpy(bytes_next_, state.data(), state.size());
  bytes_next_ += state.size();
  const auto end = static_cast<uint32_t>(begin + state.size());
  std::memcpy(base + k * sizeof(uint32_t), &parent.value, sizeof(uint32_t));
  std::memcpy(base + labels_offset_ + k * sizeof(Label), &label, sizeof(Label));
  std::memcpy(base + ends_offset_ + k * sizeof(uint32_t), &end, sizeof(uint32_t));
  state_bytes_ += state.size();
  // Release: a concurrent find_hashed() that sees the slot sees the state's bytes too.
  std::atomic_ref<uint32_t>(table_[i]).store(tag | (id.value + 1), std::memory_order_release);
  ++size_;
  return {id, Status::Inserted};
}

}  // namespace cc
