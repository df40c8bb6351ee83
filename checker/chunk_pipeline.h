// The thread pool of the parallel BFS: it expands the chunks of one level on every thread and
// hands them to the calling thread for merging strictly in chunk order, while later chunks
// are still being expanded (docs/explorer.md, "Two or more threads").
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace cc {

/// Expands chunks on helpers and on the calling thread, merges them in order on the calling
/// thread. At most `window` chunks are expanded ahead of the merge: chunk c owns buffer slot
/// c % window from its claim until it is merged.
class ChunkPipeline {
 public:
  /// Expands chunk `chunk` of the current level on worker `worker` (0 = the calling thread,
  /// 1..helpers = the helper threads). An exception is rethrown when the chunk is merged.
  using ExpandFn = std::function<void(unsigned worker, uint64_t chunk)>;
  /// Merges chunk `chunk` (its slot is chunk % window); false ends the level early.
  using MergeFn = std::function<bool(uint64_t chunk)>;

  /// Starts `helpers` threads (none: every chunk is expanded by the calling thread).
  ChunkPipeline(unsigned helpers, unsigned window, ExpandFn expand);
  /// Stops and joins the helpers, whatever they are doing.
  ~ChunkPipeline();
  ChunkPipeline(const ChunkPipeline&) = delete;
  ChunkPipeline& operator=(const ChunkPipeline&) = delete;

  /// Runs one level of `chunks` chunks; merge(c) is called for c = 0, 1, ... in order on this
  /// thread. Returns false when a merge ended it early. Everything this thread wrote before
  /// the call is visible to the helpers' expansions.
  bool run_level(uint64_t chunks, const MergeFn& merge);
  /// Runs `f` (from within a merge) while no helper is expanding: for what moves memory
  /// that expansions read.
  void exclusive(const std::function<void()>& f);
  /// Hands `job` to the first helper that is between chunks (runs it now without helpers).
  /// It reads like an expansion does (exclusive() waits for it). One job at a time.
  void post(std::function<void()> job);
  /// Waits for the posted job to end (runs it on this thread if no helper took it yet) and
  /// rethrows what it threw.
  void wait_job();

 private:
  struct alignas(64) Slot {
    std::atomic<uint64_t> done{0};  ///< chunk + 1 once that chunk is expanded
    std::exception_ptr error;       ///< what its expansion threw
  };

  enum class JobState : uint8_t { None, Posted, Running, Done };

  void helper_loop(unsigned worker);
  /// Runs the posted job if nobody has taken it yet; true when this thread ran it.
  bool take_job();
  /// Claims and expands chunks of the current level until none is left (helpers).
  void help(unsigned worker);
  /// Claims the next chunk if it lies within `limit`; false when there is none to claim now.
  bool claim(uint64_t limit, uint64_t& chunk);
  void expand_into_slot(unsigned worker, uint64_t chunk);
  void enter_read();
  void leave_read() {
    readers_.fetch_sub(1, std::memory_order_seq_cst);
    readers_.notify_all();
  }

  const unsigned helpers_;
  const unsigned window_;
  const ExpandFn expand_;
  std::unique_ptr<Slot[]> slots_;
  alignas(64) std::atomic<uint64_t> next_{0};    ///< next chunk to claim
  alignas(64) std::atomic<uint64_t> merged_{0};  ///< chunks merged so far
  alignas(64) std::atomic<uint64_t> chunks_{0};  ///< chunks of the current level
  std::atomic<uint64_t> generation_{0};          ///< one per level; helpers wait on it
  std::atomic<unsigned> idle_{0};                ///< helpers done with the current level
  std::atomic<bool> quit_{false};
  alignas(64) std::atomic<bool> exclusive_{false};
  std::atomic<unsigned> readers_{0};  ///< helpers expanding now
  std::atomic<JobState> job_state_{JobState::None};
  std::function<void()> job_;
  std::exception_ptr job_error_;
  std::vector<std::thread> threads_;
};

}  // namespace cc
