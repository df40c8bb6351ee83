// The collective operations the distributed search needs, behind one small interface: Open MPI
// in a real run (checker/mpi_comm.h), threads in one process in the unit tests. Every member
// is collective: all ranks call it, in the same order, with matching arguments.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace cc {

/// A rank's position in the run (0 writes the reports).
struct Rank {
  uint32_t value = 0;
  friend auto operator<=>(Rank, Rank) = default;
};

/// How allreduce() combines the ranks' values, element by element.
enum class ReduceOp : uint8_t { Sum, Max, Min };

/// The ranks of one distributed search and their collective exchanges.
class Comm {
 public:
  virtual ~Comm() = default;
  /// This process's rank, from 0.
  virtual Rank rank() const = 0;
  /// Number of ranks (at least 1).
  virtual uint32_t size() const = 0;
  /// Personalized exchange: send[r] goes to rank r; recv[r] receives what rank r sent here.
  /// Both have size() entries.
  virtual void alltoallv(const std::vector<std::vector<uint8_t>>& send,
                         std::vector<std::vector<uint8_t>>& recv) = 0;
  /// Combines `values` element-wise over all ranks; every rank gets the result in place.
  virtual void allreduce(std::span<uint64_t> values, ReduceOp op) = 0;
  /// Every rank's `mine`, in rank order, on every rank.
  virtual void allgatherv(std::span<const uint8_t> mine,
                          std::vector<std::vector<uint8_t>>& all) = 0;
  /// Rank `root`'s `bytes` on every rank (resized to fit).
  virtual void broadcast(std::vector<uint8_t>& bytes, Rank root) = 0;
};

}  // namespace cc
