#include "checker/chunk_pipeline.h"

#include <utility>

namespace cc {

namespace {

constexpr unsigned kSpins = 64;   // pause instructions before yielding
constexpr unsigned kYields = 16;  // yields before sleeping in the kernel

/// Waits until ready(a's value): spins a moment, then yields, then sleeps on the atomic (the
/// writers notify; a notification without sleepers costs no system call). A short spin keeps
/// the hand-over fast on idle cores; the sleep keeps more threads than cores from burning the
/// time the others need.
template <typename T, typename Ready>
void await(const std::atomic<T>& a, Ready&& ready) {
  for (unsigned n = 0;; ++n) {
    const T v = a.load(std::memory_order_acquire);
    if (ready(v)) return;
    if (n < kSpins) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    } else if (n < kSpins + kYields) {
      std::this_thread::yield();
    } else {
      a.wait(v, std::memory_order_acquire);
    }
  }
}

}  // namespace

ChunkPipeline::ChunkPipeline(unsigned helpers, unsigned window, ExpandFn expand)
    : helpers_(helpers),
      window_(window == 0 ? 1 : window),
      expand_(std::move(expand)),
      slots_(std::make_unique<Slot[]>(window_)) {
  threads_.reserve(helpers_);
  for (unsigned w = 1; w <= helpers_; ++w) threads_.emplace_back([this, w] { helper_loop(w); });
}

ChunkPipeline::~ChunkPipeline() {
  quit_.store(true, std::memory_order_seq_cst);
  // Wake every waiter: they see quit_ and leave.
  merged_.fetch_add(window_, std::memory_order_seq_cst);
  merged_.notify_all();
  exclusive_.store(false, std::memory_order_seq_cst);
  exclusive_.notify_all();
  generation_.fetch_add(1, std::memory_order_seq_cst);
  generation_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void ChunkPipeline::helper_loop(unsigned worker) {
  uint64_t seen = 0;
  for (;;) {
    generation_.wait(seen, std::memory_order_acquire);
    seen = generation_.load(std::memory_order_acquire);
    if (quit_.load(std::memory_order_acquire)) return;
    help(worker);
    idle_.fetch_add(1, std::memory_order_release);
    idle_.notify_all();
  }
}

bool ChunkPipeline::claim(uint64_t limit, uint64_t& chunk) {
  uint64_t c = next_.load(std::memory_order_relaxed);
  const uint64_t n = chunks_.load(std::memory_order_relaxed);
  if (c >= n || c >= limit) return false;
  if (!next_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel)) return false;
  chunk = c;
  return true;
}

void ChunkPipeline::expand_into_slot(unsigned worker, uint64_t chunk) {
  Slot& s = slots_[chunk % window_];
  s.error = nullptr;
  try {
    expand_(worker, chunk);
  } catch (...) {
    s.error = std::current_exception();
  }
  s.done.store(chunk + 1, std::memory_order_release);
  s.done.notify_all();
}

void ChunkPipeline::enter_read() {
  for (;;) {
    readers_.fetch_add(1, std::memory_order_seq_cst);
    if (!exclusive_.load(std::memory_order_seq_cst)) return;
    leave_read();
    await(exclusive_, [](bool on) { return !on; });
  }
}

bool ChunkPipeline::take_job() {
  JobState posted = JobState::Posted;
  if (job_state_.load(std::memory_order_relaxed) != JobState::Posted ||
      !job_state_.compare_exchange_strong(posted, JobState::Running, std::memory_order_acq_rel)) {
    return false;
  }
  try {
    job_();
  } catch (...) {
    job_error_ = std::current_exception();
  }
  job_state_.store(JobState::Done, std::memory_order_release);
  job_state_.notify_all();
  return true;
}

void ChunkPipeline::post(std::function<void()> job) {
  job_ = std::move(job);
  job_error_ = nullptr;
  job_state_.store(JobState::Posted, std::memory_order_release);
  if (helpers_ == 0) take_job();
}

void ChunkPipeline::wait_job() {
  if (job_state_.load(std::memory_order_acquire) == JobState::None) return;
  take_job();
  await(job_state_, [](JobState j) { return j == JobState::Done; });
  job_state_.store(JobState::None, std::memory_order_relaxed);
  job_ = nullptr;
  if (job_error_) std::rethrow_exception(std::exchange(job_error_, nullptr));
}

void ChunkPipeline::help(unsigned worker) {
  const uint64_t n = chunks_.load(std::memory_order_relaxed);
  while (!quit_.load(std::memory_order_acquire)) {
    if (job_state_.load(std::memory_order_relaxed) == JobState::Posted) {
      enter_read();
      take_job();
      leave_read();
    }
    const uint64_t c = next_.load(std::memory_order_relaxed);
    if (c >= n) return;
    const uint64_t merged = merged_.load(std::memory_order_acquire);
    if (c >= merged + window_) {  // the window is full: wait for a merge
      await(merged_, [&](uint64_t m) { return m != merged; });
      continue;
    }
    uint64_t mine = 0;
    if (!claim(merged + window_, mine)) continue;  // another thread took it
    enter_read();
    expand_into_slot(worker, mine);
    leave_read();
  }
}

bool ChunkPipeline::run_level(uint64_t chunks, const MergeFn& merge) {
  for (unsigned s = 0; s < window_; ++s) slots_[s].done.store(0, std::memory_order_relaxed);
  chunks_.store(chunks, std::memory_order_relaxed);
  merged_.store(0, std::memory_order_relaxed);
  next_.store(0, std::memory_order_relaxed);
  idle_.store(0, std::memory_order_relaxed);
  if (helpers_ != 0) {
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
  }
  bool complete = true;
  for (uint64_t m = 0; m < chunks;) {
    Slot& s = slots_[m % window_];
    if (s.done.load(std::memory_order_acquire) == m + 1) {
      if (s.error) std::rethrow_exception(s.error);  // the destructor stops the helpers
      if (!merge(m)) {
        complete = false;
        break;
      }
      merged_.store(++m, std::memory_order_release);
      merged_.notify_all();
      continue;
    }
    uint64_t c = 0;
    if (claim(m + window_, c)) {
      expand_into_slot(0, c);  // this thread never merges while it expands
      continue;
    }
    if (next_.load(std::memory_order_seq_cst) <= m) continue;  // not claimed yet: try again
    // Every chunk up to the window is in a helper's hands: wait for the next one.
    const uint64_t want = m + 1;
    await(s.done, [want](uint64_t d) { return d == want; });
  }
  // No new claims (helpers waiting for room in the window wake and see it); wait for the
  // helpers' chunks in hand.
  next_.store(chunks, std::memory_order_seq_cst);
  merged_.store(chunks, std::memory_order_seq_cst);
  merged_.notify_all();
  if (helpers_ != 0) await(idle_, [this](unsigned idle) { return idle == helpers_; });
  return complete;
}

void ChunkPipeline::exclusive(const std::function<void()>& f) {
  if (helpers_ == 0) {
    f();
    return;
  }
  exclusive_.store(true, std::memory_order_seq_cst);
  await(readers_, [](unsigned r) { return r == 0; });
  const auto release = [this] {
    exclusive_.store(false, std::memory_order_seq_cst);
    exclusive_.notify_all();
  };
  try {
    f();
  } catch (...) {
    release();
    throw;
  }
  release();
}

}  // namespace cc
