// The exact state store of the explorer: every visited state once, with its parent link.
//
// States are byte strings of at most max_state_size() bytes (the packed states of the
// semantics, so their lengths differ). Parent links, labels and the states' end offsets live
// in fixed-size blocks of K states; the state bytes of one block lie back to back in a byte
// arena (a span to a stored state stays valid while the store lives). An open-addressing
// hash table of 32-bit slots (linear probing, power-of-two capacity, grown at 0.7 load) finds
// them. Ids are dense and given in insertion order: the first stored state is id 0. Layout
// and bytes per state: docs/explorer.md.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "engine/transition.h"

namespace cc {

static_assert(sizeof(Label) == 4, "the store keeps labels in 4 bytes");

/// Dense id of a stored state (insertion order, from 0).
struct StateId {
  uint32_t value = UINT32_MAX;
  /// The "no state" id (parent of the initial state).
  static constexpr StateId none() { return StateId{}; }
  bool valid() const { return value != UINT32_MAX; }
  friend auto operator<=>(StateId, StateId) = default;
};

/// The 64-bit hash of a state's bytes (XXH3_64bits, stable across runs and machines).
uint64_t hash_state(std::span<const uint8_t> state);

class StateStore {
 public:
  /// A replacement hash function (tests force collisions with it); nullptr = hash_state.
  using HashFn = uint64_t (*)(std::span<const uint8_t>);

  /// What an insertion did.
  enum class Status : uint8_t {
    Inserted,     ///< new state, stored
    Found,        ///< already stored; `id` is the stored copy
    StateLimit,   ///< new state, but the store holds max_states states already
    MemoryLimit,  ///< new state, but storing it would take the store past max_bytes
  };
  struct InsertResult {
    StateId id;  ///< valid for Inserted and Found
    Status status = Status::Found;
  };

  /// States of at most `state_size` bytes (empty states are allowed). `max_states` and
  /// `max_bytes` bound the store (0 = unbounded; ids are 32-bit, so at most 2^32-2 states).
  explicit StateStore(std::size_t state_size, uint64_t max_states = 0, uint64_t max_bytes = 0,
                      HashFn hash = nullptr);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  /// Looks `state` (at most state_size() bytes) up and stores it with its parent link if it
  /// is new.
  InsertResult insert(std::span<const uint8_t> state, StateId parent, Label label) {
    return insert_hashed(state, hash(state), parent, label);
  }
  /// insert() with the state's hash() computed by the caller.
  InsertResult insert_hashed(std::span<const uint8_t> state, uint64_t hash, StateId parent,
                             Label label);
  /// The id of a stored state, or none().
  StateId find(std::span<const uint8_t> state) const { return find_hashed(state, hash(state)); }
  /// find() with the state's hash() computed by the caller. Safe to call from several
  /// threads, also while one thread inserts, provided that no insertion moves memory
  /// (may_move()): a state is published with its table slot, so a concurrent insertion is
  /// found or not, and never half.
  StateId find_hashed(std::span<const uint8_t> state, uint64_t hash) const;
  /// True when `states` more insertions might move memory that find_hashed() and state()
  /// read (a table growth, a longer block index): such insertions must not run concurrently
  /// with them.
  bool may_move(uint64_t states) const;

  /// The hash the store uses for `state`.
  uint64_t hash(std::span<const uint8_t> state) const {
    return hash_fn_ != nullptr ? hash_fn_(state) : hash_state(state);
  }
  /// Hints that a state with this hash will be looked up soon: fetches its first table slot.
  void prefetch_slot(uint64_t hash) const { __builtin_prefetch(&table_[hash & (capacity_ - 1)]); }

  /// The bytes of a stored state; valid as long as the store.
  std::span<const uint8_t> state(StateId id) const {
    const uint8_t* b = block(id);
    const std::size_t k = id.value & block_mask_;
    const uint32_t begin = k == 0 ? 0 : end_offset(b, k - 1);
    // An insertion may move the block's bytes meanwhile; the old copy stays valid.
    const uint8_t* base = std::atomic_ref<uint8_t*>(block_base_[id.value >> block_shift_])
                              .load(std::memory_order_acquire);
    return {base + begin, end_offset(b, k) - begin};
  }
  /// The state `id` was first reached from (none() for the first state).
  StateId parent(StateId id) const {
    StateId p;
    std::memcpy(&p.value, block(id) + std::size_t(id.value & block_mask_) * 4, 4);
    return p;
  }
  /// The transition that first reached `id` from parent(id).
  Label label(StateId id) const {
    Label l;
    std::memcpy(&l, block(id) + labels_offset_ + std::size_t(id.value & block_mask_) * 4, 4);
    return l;
  }

  /// Number of stored states.
  uint64_t size() const { return size_; }
  /// The longest state the store takes.
  std::size_t state_size() const { return state_size_; }
  /// Bytes of all stored states together.
  uint64_t state_bytes() const { return state_bytes_; }
  /// Hash table slots (a power of two).
  uint64_t capacity() const { return capacity_; }
  /// States per arena block (a power of two).
  uint64_t block_states() const { return block_mask_ + 1ULL; }
  /// Bytes held now: table + arenas + block index.
  uint64_t memory_bytes() const {
    return capacity_ * sizeof(uint32_t) + arena_bytes_ + bytes_arena_ +
           blocks_.capacity() * 2 * sizeof(void*) +
           (chunks_.capacity() + byte_chunks_.capacity()) * sizeof(Chunk) + spare_bytes_;
  }

  /// Starts a table growth ahead of need: when fewer than `lookahead` insertions are left
  /// before the table must grow (and the memory bound leaves ample room), allocates the grown
  /// table and returns true: fill_grown_table() should then run, on any thread, before the
  /// growth (which then only adds the states inserted meanwhile).
  bool prepare_growth(uint64_t lookahead);
  /// Puts the states stored when prepare_growth() returned true into the grown table. Reads
  /// like find_hashed() does, so it may run while one thread inserts (without moving memory).
  void fill_grown_table();

  /// Changes the memory bound (0 = unbounded); the store does not shrink to meet it.
  void set_max_bytes(uint64_t max_bytes) { max_bytes_ = max_bytes; }
  /// Largest memory_bytes() so far, including the moment a grown table and the old one
  /// coexist.
  uint64_t peak_memory_bytes() const { return peak_bytes_; }

 private:
  struct Chunk {
    uint8_t* data;
    std::size_t bytes;
  };

  const uint8_t* block(StateId id) const { return blocks_[id.value >> block_shift_]; }
  uint32_t end_offset(const uint8_t* block, std::size_t k) const {
    uint32_t e;
    std::memcpy(&e, block + ends_offset_ + k * sizeof(uint32_t), sizeof e);
    return e;
  }
  bool equal(StateId id, std::span<const uint8_t> s) const {
    const std::span<const uint8_t> t = state(id);
    return t.size() == s.size() && (s.empty() || std::memcmp(t.data(), s.data(), s.size()) == 0);
  }
  /// Makes room for `bytes` more state bytes in the current block's run (a new byte chunk,
  /// with the block's states so far copied over, when the current one is full).
  bool reserve_bytes(std::size_t bytes, std::size_t block_used);
  static uint8_t* allocate(std::size_t bytes, bool zero);
  static void release(void* p, std::size_t bytes);
  bool grow();  ///< doubles the table; false when a limit forbids it
  /// Inserts states [first, last) into `table` (`capacity` slots), in id order.
  void rehash_into(uint32_t* table, uint64_t capacity, uint64_t first, uint64_t last) const;
  bool add_chunk();  ///< more arena blocks; false when the memory limit forbids it
  /// Bytes and blocks of the next arena chunk (the growth policy of add_chunk()).
  std::pair<std::size_t, std::size_t> next_chunk(std::size_t blocks_now) const;
  void note_memory(uint64_t bytes) {
    if (bytes > peak_bytes_) peak_bytes_ = bytes;
  }

  std::size_t state_size_;
  uint64_t max_states_;
  uint64_t max_bytes_;
  HashFn hash_fn_;

  // Arena: block = [parents: K x uint32][labels: K x Label][ends: K x uint32], K a power of
  // two; blocks_ points at each block, chunks_ owns the allocations (a chunk holds one or
  // more blocks; chunks grow geometrically to a few MiB, then stay that size). The states of
  // block b are the bytes [block_base_[b], block_base_[b] + ends[K-1]) of a byte chunk, state
  // k from ends[k-1] (0 for k = 0) to ends[k].
  uint32_t block_shift_ = 0;
  uint32_t block_mask_ = 0;
  std::size_t labels_offset_ = 0;
  std::size_t ends_offset_ = 0;
  std::size_t block_bytes_ = 0;
  std::vector<uint8_t*> blocks_;
  std::vector<Chunk> chunks_;
  uint64_t arena_bytes_ = 0;
  /// Per block: where its states' bytes begin (mutable: read through std::atomic_ref).
  mutable std::vector<uint8_t*> block_base_;
  std::vector<Chunk> byte_chunks_;  ///< the state bytes' allocations
  uint8_t* bytes_next_ = nullptr;   ///< first free byte of the last byte chunk
  uint8_t* bytes_end_ = nullptr;
  uint64_t bytes_arena_ = 0;  ///< bytes of byte_chunks_
  uint64_t state_bytes_ = 0;  ///< bytes of the stored states

  // Table: slot = 0 (empty) or (tag | (id + 1)); the low id_bits = log2(capacity) bits hold
  // id + 1, the high bits a tag from the hash's upper half (skips most non-matching states
  // without touching the arena).
  uint32_t* table_ = nullptr;
  uint64_t capacity_ = 0;
  uint64_t grow_at_ = 0;
  uint32_t id_mask_ = 0;

  uint64_t size_ = 0;
  uint64_t peak_bytes_ = 0;

  // prepare_growth(): the doubled table allocated ahead of the growth.
  uint32_t* spare_table_ = nullptr;  ///< spare_capacity_ slots (2 x capacity_)
  uint64_t spare_capacity_ = 0;
  /// States [0, spare_filled_) are in the spare table already (fill_grown_table()); the
  /// others are zero.
  uint64_t spare_filled_ = 0;
  uint64_t spare_target_ = 0;  ///< what fill_grown_table() puts in
  uint64_t spare_bytes_ = 0;   ///< bytes of the spare table
};

}  // namespace cc
