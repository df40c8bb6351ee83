// Comm over threads of one process (tests only): K "ranks" meet at a barrier for every
// collective, so the distributed search runs unchanged without mpirun.
#pragma once

#include <algorithm>
#include <barrier>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "checker/comm.h"

namespace cc::testing_comm {

/// What the ranks of one ThreadComm group share.
struct Hub {
  explicit Hub(uint32_t ranks)
      : ranks(ranks),
        barrier(ranks),
        mail(ranks, std::vector<std::vector<uint8_t>>(ranks)),
        blobs(ranks),
        values(ranks) {}
  uint32_t ranks;
  std::barrier<> barrier;
  std::vector<std::vector<std::vector<uint8_t>>> mail;  ///< [from][to]
  std::vector<std::vector<uint8_t>> blobs;
  std::vector<std::vector<uint64_t>> values;
};

/// One rank of a group of threads.
class ThreadComm final : public Comm {
 public:
  ThreadComm(Hub& hub, uint32_t rank) : hub_(hub), rank_(rank) {}
  Rank rank() const override { return Rank{rank_}; }
  uint32_t size() const override { return hub_.ranks; }
  void alltoallv(const std::vector<std::vector<uint8_t>>& send,
                 std::vector<std::vector<uint8_t>>& recv) override {
    hub_.mail[rank_] = send;
    hub_.barrier.arrive_and_wait();
    recv.resize(hub_.ranks);
    for (uint32_t r = 0; r < hub_.ranks; ++r) recv[r] = hub_.mail[r][rank_];
    hub_.barrier.arrive_and_wait();
  }
  void allreduce(std::span<uint64_t> values, ReduceOp op) override {
    hub_.values[rank_].assign(values.begin(), values.end());
    hub_.barrier.arrive_and_wait();
    for (std::size_t i = 0; i < values.size(); ++i) {
      uint64_t v = hub_.values[0][i];
      for (uint32_t r = 1; r < hub_.ranks; ++r) {
        const uint64_t x = hub_.values[r][i];
        v = op == ReduceOp::Sum ? v + x : op == ReduceOp::Max ? std::max(v, x) : std::min(v, x);
      }
      values[i] = v;
    }
    hub_.barrier.arrive_and_wait();
  }
  void allgatherv(std::span<const uint8_t> mine, std::vector<std::vector<uint8_t>>& all) override {
    hub_.blobs[rank_].assign(mine.begin(), mine.end());
    hub_.barrier.arrive_and_wait();
    all = hub_.blobs;
    hub_.barrier.arrive_and_wait();
  }
  void broadcast(std::vector<uint8_t>& bytes, Rank root) override {
    if (rank_ == root.value) hub_.blobs[rank_] = bytes;
    hub_.barrier.arrive_and_wait();
    bytes = hub_.blobs[root.value];
    hub_.barrier.arrive_and_wait();
  }

 private:
  Hub& hub_;
  uint32_t rank_;
};

/// Runs body(comm) on `ranks` threads, one ThreadComm each, and waits for all of them.
inline void run_ranks(uint32_t ranks, const std::function<void(Comm&)>& body) {
  Hub hub(ranks);
  std::vector<std::thread> threads;
  for (uint32_t r = 0; r < ranks; ++r) {
    threads.emplace_back([&hub, &body, r] {
      ThreadComm comm(hub, r);
      body(comm);
    });
  }
  for (std::thread& t : threads) t.join();
}

}  // namespace cc::testing_comm
