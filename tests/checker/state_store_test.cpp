#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <shared_mutex>
#include <span>
#include <thread>
#include <vector>

#include "checker/state_store.h"

namespace cc {
namespace {

std::span<const uint8_t> bytes(const uint64_t& v) {
  return {reinterpret_cast<const uint8_t*>(&v), sizeof v};
}

uint64_t value(std::span<const uint8_t> s) {
  uint64_t v = 0;
  std::memcpy(&v, s.data(), sizeof v);
  return v;
}

uint64_t constant_hash(std::span<const uint8_t>) {
  return 0x1234'5678'9ABC'DEF0ULL;
}
// Same first slot for everyone, but different tags in the slot's high bits.
uint64_t same_index_hash(std::span<const uint8_t> s) {
  return hash_state(s) << 32;
}

TEST(StateStore, HashIsStableXxh3) {
  // XXH3_64bits of the empty input and of "abc": fixed by the xxHash specification.
  EXPECT_EQ(hash_state({}), 0x2D06800538D394C2ULL);
  const uint8_t abc[] = {'a', 'b', 'c'};
  EXPECT_EQ(hash_state(abc), 0x78AF5F94892F3950ULL);
}

TEST(StateStore, InsertFindsDuplicatesAndKeepsParentLinks) {
  StateStore store(sizeof(uint64_t));
  const uint64_t a = 7, b = 9, c = 7;
  const auto ra = store.insert(bytes(a), StateId::none(), Label{});
  ASSERT_EQ(ra.status, StateStore::Status::Inserted);
  EXPECT_EQ(ra.id.value, 0U);
  const auto rb = store.insert(bytes(b), ra.id, Label{3, 4});
  ASSERT_EQ(rb.status, StateStore::Status::Inserted);
  EXPECT_EQ(rb.id.value, 1U);
  const auto rc = store.insert(bytes(c), rb.id, Label{5, 6});
  EXPECT_EQ(rc.status, StateStore::Status::Found);
  EXPECT_EQ(rc.id.value, 0U);
  EXPECT_EQ(store.size(), 2U);

  EXPECT_FALSE(store.parent(ra.id).valid());
  EXPECT_EQ(store.parent(rb.id).value, 0U);
  EXPECT_EQ(store.label(rb.id), (Label{3, 4}));
  EXPECT_EQ(value(store.state(rb.id)), 9U);
  EXPECT_EQ(store.find(bytes(b)).value, 1U);
  const uint64_t missing = 8;
  EXPECT_FALSE(store.find(bytes(missing)).valid());
}

void fill_and_check(StateStore& store, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t v = i * 0x9E3779B97F4A7C15ULL;
    const auto r = store.insert(bytes(v), StateId{static_cast<uint32_t>(i / 2)},
                                Label{static_cast<uint16_t>(i), static_cast<uint16_t>(i >> 16)});
    ASSERT_EQ(r.status, StateStore::Status::Inserted) << i;
    ASSERT_EQ(r.id.value, i);
  }
  ASSERT_EQ(store.size(), n);
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t v = i * 0x9E3779B97F4A7C15ULL;
    const auto r = store.insert(bytes(v), StateId::none(), Label{});
    ASSERT_EQ(r.status, StateStore::Status::Found) << i;
    ASSERT_EQ(r.id.value, i);
    const StateId id{static_cast<uint32_t>(i)};
    ASSERT_EQ(value(store.state(id)), v);
    ASSERT_EQ(store.parent(id).value, i / 2);
    ASSERT_EQ(store.label(id), (Label{static_cast<uint16_t>(i), static_cast<uint16_t>(i >> 16)}));
  }
  EXPECT_EQ(store.size(), n);
}

TEST(StateStore, GrowsAndKeepsEveryStateAndItsId) {
  StateStore store(sizeof(uint64_t));
  const uint64_t first = 0;
  store.insert(bytes(first), StateId::none(), Label{});
  const uint8_t* where = store.state(StateId{0}).data();
  StateStore big(sizeof(uint64_t));
  fill_and_check(big, 300'000);
  // Power-of-two table, load at most 0.7.
  EXPECT_EQ(big.capacity() & (big.capacity() - 1), 0U);
  EXPECT_LE(big.size() * 10, big.capacity() * 7);
  // Growing never moves stored states.
  for (uint64_t i = 1; i < 100'000; ++i) store.insert(bytes(i), StateId{0}, Label{});
  EXPECT_EQ(store.state(StateId{0}).data(), where);
}

// One thread inserts while another looks states up (the parallel BFS's merge and its
// helpers): only insertions that may_move() are kept apart from the lookups. A lookup finds
// a state with its right id or not at all, never a wrong or half-written one, and variable
// lengths make blocks move their bytes to new chunks meanwhile.
TEST(StateStore, LookupsRunWhileOneThreadInserts) {
  constexpr uint64_t kStates = 300'000;
  StateStore store(24);
  std::shared_mutex moving;
  std::atomic<uint64_t> published{0};
  std::atomic<bool> done{false};
  const auto state_of = [](uint64_t i, std::array<uint64_t, 3>& buf) {
    buf = {i * 0x9E3779B97F4A7C15ULL, i, ~i};
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(buf.data()), 8 + 8 * (i % 3));
  };
  std::thread reader([&] {
    std::array<uint64_t, 3> buf{};
    uint64_t wrong = 0;
    uint64_t found = 0;
    for (uint64_t round = 0; !done.load() || round < 2; ++round) {
      const uint64_t upto = published.load();
      std::shared_lock lock(moving);
      for (uint64_t k = 0; k < 2000; ++k) {
        const uint64_t i = (round * 7919 + k * 104729) % (upto + 1000);
        const StateId id = store.find(state_of(i, buf));
        if (id.valid()) {
          ++found;
          if (id.value != i) ++wrong;
        } else if (i < upto) {
          ++wrong;  // published before this round began: must be found
        }
      }
    }
    EXPECT_EQ(wrong, 0U);
    EXPECT_GT(found, 0U);
  });
  std::array<uint64_t, 3> buf{};
  for (uint64_t i = 0; i < kStates; ++i) {
    StateStore::InsertResult r;
    if (store.may_move(1)) {
      std::unique_lock lock(moving);
      r = store.insert(state_of(i, buf), StateId::none(), Label{});
    } else {
      r = store.insert(state_of(i, buf), StateId::none(), Label{});
    }
    ASSERT_EQ(r.status, StateStore::Status::Inserted);
    ASSERT_EQ(r.id.value, i);
    published.store(i + 1);
  }
  done.store(true);
  reader.join();
}

// A growth prepared ahead (the table filled on another thread while insertions go on) gives
// the same store as a growth done at once: every state found with its id, and the table
// grows when it would have.
TEST(StateStore, GrowthPreparedAheadKeepsEveryState) {
  constexpr uint64_t kStates = 200'000;
  StateStore plain(8);
  StateStore ahead(8);
  std::thread filler;
  uint64_t prepared = 0;
  for (uint64_t i = 0; i < kStates; ++i) {
    if (!filler.joinable() && ahead.prepare_growth(ahead.size() / 8 + 1)) {
      ++prepared;
      filler = std::thread([&] { ahead.fill_grown_table(); });
    }
    if (ahead.may_move(1) && filler.joinable()) filler.join();
    const uint64_t v = i * 0x9E3779B97F4A7C15ULL;
    ASSERT_EQ(plain.insert(bytes(v), StateId::none(), Label{}).id.value, i);
    ASSERT_EQ(ahead.insert(bytes(v), StateId::none(), Label{}).id.value, i);
    ASSERT_EQ(plain.capacity(), ahead.capacity()) << "grew at another time, state " << i;
  }
  if (filler.joinable()) filler.join();
  EXPECT_GE(prepared, 5U);
  // Near the memory bound nothing is prepared (the growth happens when one thread would do
  // it), and what is prepared stays within the bound.
  constexpr uint64_t kBound = 256 << 10;
  StateStore bounded(8, 0, kBound);
  for (uint64_t i = 0;; ++i) {
    if (bounded.prepare_growth(UINT32_MAX)) {
      EXPECT_LE(bounded.memory_bytes(), kBound);
    }
    if (bounded.insert(bytes(i), StateId::none(), Label{}).status != StateStore::Status::Inserted) {
      break;
    }
  }
  EXPECT_GT(bounded.size(), 5000U);
  EXPECT_LE(bounded.peak_memory_bytes(), kBound);
  for (uint64_t i = 0; i < kStates; ++i) {
    const uint64_t v = i * 0x9E3779B97F4A7C15ULL;
    ASSERT_EQ(ahead.find(bytes(v)).value, i);
    ASSERT_EQ(ahead.insert(bytes(v), StateId::none(), Label{}).status, StateStore::Status::Found);
  }
}

TEST(StateStore, FullHashCollisionsStillDeduplicate) {
  StateStore store(sizeof(uint64_t), 0, 0, &constant_hash);
  fill_and_check(store, 3000);
}

TEST(StateStore, SameFirstSlotDifferentTagsStillDeduplicate) {
  StateStore store(sizeof(uint64_t), 0, 0, &same_index_hash);
  fill_and_check(store, 3000);
}

TEST(StateStore, OddStateSizeAcrossManyChunks) {
  StateStore store(13);
  std::array<uint8_t, 13> s{};
  const uint64_t n = 40 * store.block_states() + 5;
  for (uint64_t i = 0; i < n; ++i) {
    std::memcpy(s.data() + 5, &i, sizeof i);
    ASSERT_EQ(store.insert(s, StateId::none(), Label{}).id.value, i);
  }
  for (uint64_t i = 0; i < n; ++i) {
    std::memcpy(s.data() + 5, &i, sizeof i);
    ASSERT_EQ(store.find(s).value, i);
    ASSERT_EQ(std::memcmp(store.state(StateId{static_cast<uint32_t>(i)}).data(), s.data(), 13), 0);
  }
}

TEST(StateStore, ZeroSizedStatesHoldOneState) {
  StateStore store(0);
  EXPECT_EQ(store.insert({}, StateId::none(), Label{}).status, StateStore::Status::Inserted);
  EXPECT_EQ(store.insert({}, StateId{0}, Label{}).status, StateStore::Status::Found);
  EXPECT_EQ(store.size(), 1U);
}

TEST(StateStore, StateLimitRefusesNewStatesButFindsOldOnes) {
  StateStore store(sizeof(uint64_t), 10);
  for (uint64_t i = 0; i < 10; ++i) {
    ASSERT_EQ(store.insert(bytes(i), StateId::none(), Label{}).status,
              StateStore::Status::Inserted);
  }
  const uint64_t old = 4, fresh = 10;
  EXPECT_EQ(store.insert(bytes(old), StateId::none(), Label{}).status, StateStore::Status::Found);
  const auto r = store.insert(bytes(fresh), StateId::none(), Label{});
  EXPECT_EQ(r.status, StateStore::Status::StateLimit);
  EXPECT_FALSE(r.id.valid());
  EXPECT_EQ(store.size(), 10U);
}

TEST(StateStore, MemoryLimitRefusesGrowthBeyondIt) {
  const uint64_t limit = 1 << 20;
  StateStore store(sizeof(uint64_t), 0, limit);
  uint64_t i = 0;
  StateStore::Status st = StateStore::Status::Inserted;
  for (; i < 10'000'000 && st == StateStore::Status::Inserted; ++i) {
    st = store.insert(bytes(i), StateId::none(), Label{}).status;
  }
  EXPECT_EQ(st, StateStore::Status::MemoryLimit);
  EXPECT_GT(store.size(), 1000U);
  EXPECT_LE(store.memory_bytes(), limit);
  EXPECT_LE(store.peak_memory_bytes(), limit);
  // Old states are still found.
  const uint64_t zero = 0;
  EXPECT_EQ(store.insert(bytes(zero), StateId::none(), Label{}).status, StateStore::Status::Found);
}

TEST(StateStore, BytesPerStateCloseToStateSizePlusSixteen) {
  // Every stored state costs its bytes + parent 4 + label 4 + end offset 4, the table 4 bytes
  // per slot at a load of 0.35 to 0.7; both arenas are allocated in chunks of at most 4 MiB.
  constexpr std::size_t kSize = 64;
  StateStore store(kSize);
  std::array<uint8_t, kSize> s{};
  double best = 1e9, worst = 0;
  for (uint64_t i = 0; store.capacity() < (uint64_t{1} << 21); ++i) {
    const uint64_t cap = store.capacity();
    std::memcpy(s.data(), &i, sizeof i);
    store.insert(s, StateId::none(), Label{});
    const uint64_t fixed = store.size() * (kSize + 12) + store.capacity() * 4;
    ASSERT_GE(store.memory_bytes(), fixed);
    // Slack: one partly filled chunk per arena, and under one block at the end of each full
    // chunk.
    ASSERT_LE(store.memory_bytes(), fixed + fixed / 128 + 2 * (4 << 20) + 65536) << i;
    if (store.capacity() != cap && store.size() > 500'000) {
      const double after = double(store.memory_bytes()) / double(store.size());
      const double before = double(store.memory_bytes() - cap * 4) / double(store.size());
      best = std::min(best, before);
      worst = std::max(worst, after);
    }
  }
  std::printf("bytes/state for %zu-byte states: %.1f (load 0.7) .. %.1f (load 0.35)\n", kSize, best,
              worst);
  EXPECT_LT(best, kSize + 25.0);  // 12 + 4 / 0.7 + two partly filled 4 MiB chunks
  EXPECT_LT(worst, kSize + 31.0);
}

// States of different lengths: a state is equal only to one of the same length and bytes
// (a prefix is a different state), and every state comes back intact across many chunk
// switches (a block's states move along with it when a byte chunk fills).
TEST(StateStore, VariableLengthStatesKeepTheirBytes) {
  StateStore store(300);
  std::vector<std::vector<uint8_t>> states;
  uint32_t x = 12345;
  const auto next = [&x] {
    x = x * 1103515245U + 12345U;
    return x >> 8;
  };
  for (uint32_t i = 0; i < 60'000; ++i) {
    std::vector<uint8_t> s(next() % 301);
    for (uint8_t& b : s) b = static_cast<uint8_t>(next());
    if (s.size() >= 4) std::memcpy(s.data(), &i, 4);  // distinct unless short
    states.push_back(s);
    store.insert(s, StateId::none(), Label{});
  }
  for (const std::vector<uint8_t>& s : states) {
    const StateId id = store.find(s);
    ASSERT_TRUE(id.valid());
    const std::span<const uint8_t> t = store.state(id);
    ASSERT_EQ(std::vector<uint8_t>(t.begin(), t.end()), s);
  }
  StateStore small(8);
  const std::vector<uint8_t> ab{1, 2}, abc{1, 2, 3}, none{};
  EXPECT_EQ(small.insert(ab, StateId::none(), Label{}).status, StateStore::Status::Inserted);
  EXPECT_EQ(small.insert(abc, StateId::none(), Label{}).status, StateStore::Status::Inserted);
  EXPECT_EQ(small.insert(none, StateId::none(), Label{}).status, StateStore::Status::Inserted);
  EXPECT_EQ(small.insert(ab, StateId::none(), Label{}).id, StateId{0});
  EXPECT_EQ(small.state(StateId{1}).size(), 3U);
  EXPECT_EQ(small.state(StateId{2}).size(), 0U);
  EXPECT_EQ(small.state_bytes(), 5U);
}

}  // namespace
}  // namespace cc
