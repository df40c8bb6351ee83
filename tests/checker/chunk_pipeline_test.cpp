#include "checker/chunk_pipeline.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <thread>
#include <vector>

namespace cc {
namespace {

// Per chunk: what its expansion wrote (chunk * 7 + 1), checked by its merge.
struct Recorder {
  std::vector<std::atomic<uint64_t>> value;
  std::atomic<uint64_t> merged{0};
  std::atomic<int> expanding_helpers{0};
  std::atomic<bool> ahead_of_window{false};
  std::atomic<bool> helper_expanded{false};
  explicit Recorder(std::size_t n) : value(n) {}
};

TEST(ChunkPipeline, MergesEveryChunkInOrderAfterItsExpansion) {
  for (const unsigned helpers : {0U, 1U, 3U}) {
    constexpr unsigned kWindow = 4;
    Recorder r(1000);
    ChunkPipeline pipe(helpers, kWindow, [&](unsigned worker, uint64_t c) {
      if (c >= r.merged.load() + kWindow) r.ahead_of_window = true;
      if (worker != 0) r.helper_expanded = true;
      if (c % 3 == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
      r.value[c].store(c * 7 + 1);
    });
    for (const uint64_t chunks : {uint64_t{0}, uint64_t{1}, uint64_t{5}, uint64_t{300}}) {
      for (auto& v : r.value) v.store(0);
      r.merged = 0;
      std::vector<uint64_t> order;
      EXPECT_TRUE(pipe.run_level(chunks, [&](uint64_t c) {
        order.push_back(c);
        EXPECT_EQ(r.value[c].load(), c * 7 + 1) << "merged before its expansion";
        r.merged.store(c + 1);
        return true;
      }));
      ASSERT_EQ(order.size(), chunks) << "helpers=" << helpers;
      for (uint64_t c = 0; c < chunks; ++c) EXPECT_EQ(order[c], c);
    }
    EXPECT_FALSE(r.ahead_of_window) << "a chunk was expanded beyond the window";
    if (helpers == 0) {
      EXPECT_FALSE(r.helper_expanded);
    }
  }
}

TEST(ChunkPipeline, ExclusiveHoldsTheHelpersBack) {
  Recorder r(400);
  ChunkPipeline pipe(2, 8, [&](unsigned worker, uint64_t c) {
    if (worker != 0) ++r.expanding_helpers;
    std::this_thread::sleep_for(std::chrono::microseconds(20));
    r.value[c].store(1);
    if (worker != 0) --r.expanding_helpers;
  });
  int exclusive_runs = 0;
  EXPECT_TRUE(pipe.run_level(400, [&](uint64_t c) {
    if (c % 10 == 0) {
      pipe.exclusive([&] {
        ++exclusive_runs;
        EXPECT_EQ(r.expanding_helpers.load(), 0) << "a helper expanded during exclusive()";
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        EXPECT_EQ(r.expanding_helpers.load(), 0) << "a helper started during exclusive()";
      });
    }
    return true;
  }));
  EXPECT_EQ(exclusive_runs, 40);
}

TEST(ChunkPipeline, AnExpansionErrorIsRethrownWhenItsChunkIsMerged) {
  ChunkPipeline pipe(1, 4, [&](unsigned, uint64_t c) {
    if (c == 3) throw std::runtime_error("chunk 3");
  });
  std::vector<uint64_t> merged;
  EXPECT_THROW(pipe.run_level(20,
                              [&](uint64_t c) {
                                merged.push_back(c);
                                return true;
                              }),
               std::runtime_error);
  EXPECT_EQ(merged, (std::vector<uint64_t>{0, 1, 2}));
}

TEST(ChunkPipeline, AMergeEndsTheLevelEarlyAndTheNextLevelRuns) {
  std::atomic<uint64_t> expanded{0};
  ChunkPipeline pipe(1, 4, [&](unsigned, uint64_t) { ++expanded; });
  uint64_t merges = 0;
  EXPECT_FALSE(pipe.run_level(100, [&](uint64_t c) {
    ++merges;
    return c < 5;
  }));
  EXPECT_EQ(merges, 6U);
  EXPECT_LE(expanded.load(), 6U + 4U) << "expansion ran past the window";
  merges = 0;
  EXPECT_TRUE(pipe.run_level(10, [&](uint64_t) {
    ++merges;
    return true;
  }));
  EXPECT_EQ(merges, 10U);
}

TEST(ChunkPipeline, APostedJobRunsOnceBeforeWaitJobReturns) {
  for (const unsigned helpers : {0U, 1U, 2U}) {
    ChunkPipeline pipe(helpers, 4, [](unsigned, uint64_t) {
      std::this_thread::sleep_for(std::chrono::microseconds(10));
    });
    std::atomic<int> runs{0};
    EXPECT_TRUE(pipe.run_level(200, [&](uint64_t c) {
      if (c % 50 == 0) {
        pipe.post([&] { ++runs; });
      } else if (c % 50 == 25) {
        pipe.wait_job();
        EXPECT_EQ(runs.load(), static_cast<int>(c / 50 + 1));
      }
      return true;
    }));
    pipe.wait_job();
    EXPECT_EQ(runs.load(), 4) << "helpers=" << helpers;
    pipe.post([] { throw std::runtime_error("job"); });
    EXPECT_THROW(pipe.wait_job(), std::runtime_error);
  }
}

}  // namespace
}  // namespace cc
