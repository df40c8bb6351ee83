#include "checker/explorer.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "checker/progress.h"
#include "checker/state_store.h"

namespace cc {

namespace {

using Clock = std::chrono::steady_clock;

/// Why the search loop ended early.
enum class Stop : uint8_t { None, StateLimit, MemoryLimit, TimeLimit, Interrupted, Violation };

/// One trace per distinct key is kept in --all mode: the rule and the reported location.
struct ViolationKey {
  RuleId rule;
  uint32_t file;
  uint32_t line;
  uint32_t col;
  friend auto operator<=>(const ViolationKey&, const ViolationKey&) = default;
};

/// A violation found during the search; its trace is rebuilt after the search.
struct Pending {
  StateId state;               ///< transition finding: the state before; end state: itself
  std::optional<Label> label;  ///< the violating transition; none for end-state findings
  Finding finding;
  uint32_t length = 0;  ///< steps in the trace
};

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::string format_limit_double(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

class Explorer final : public SuccessorSink {
 public:
  Explorer(TransitionSystem& ts, const CheckOptions& opts)
      : ts_(ts),
        opts_(opts),
        max_bytes_(opts.max_memory_mb << 20),
        store_(ts.state_size(), opts.max_states, max_bytes_),
        dfs_(opts.search == SearchOrder::Dfs) {
    if (opts.rules.empty()) {
      rules_.fill(true);
    } else {
      for (const RuleId r : opts.rules) rules_.at(static_cast<std::size_t>(r)) = true;
    }
    if (opts.progress) progress_.emplace(stderr);
    batch_states_.resize(std::max<std::size_t>(1, kBatch * ts.state_size()));
    children_.reserve(64);
    update_store_budget();
  }

  SpecResult run();

 private:
  void on_successor(Label label, std::span<const uint8_t> state, const Finding* finding) override;
  void flush();  ///< looks up and stores the batched successors, in delivery order
  void expand(StateId id, uint32_t depth);
  void run_bfs();
  void run_dfs();
  /// Polls the interrupt flag, memory, time and the progress line; true = stop now.
  bool limit_reached(uint64_t queue);
  /// Bytes of the search's structures besides the store.
  uint64_t other_bytes() const {
    return stack_.capacity() * sizeof(DfsEntry) + children_.capacity() * sizeof(StateId) +
           batch_states_.capacity();
  }
  uint64_t memory_bytes() const { return store_.memory_bytes() + other_bytes(); }
  /// The store may use what the other structures leave of the memory limit.
  void update_store_budget() {
    if (max_bytes_ != 0) {
      store_.set_max_bytes(std::max<uint64_t>(1, max_bytes_ - std::min(max_bytes_, other_bytes())));
    }
  }
  /// Makes room for the DFS stack to take `more` entries; false when the limit forbids it.
  bool reserve_stack(std::size_t more);
  bool checked(RuleId r) const { return rules_[static_cast<std::size_t>(r)]; }
  void record(StateId at, std::optional<Label> label, const Finding& f, uint32_t length);
  Violation build(const Pending& p);
  std::string stop_reason() const;

  struct DfsEntry {
    StateId id;
    uint32_t depth;
  };

  TransitionSystem& ts_;
  const CheckOptions& opts_;
  const uint64_t max_bytes_;
  StateStore store_;
  const bool dfs_;
  std::array<bool, kRuleCount> rules_{};
  std::optional<ProgressLine> progress_;

  // The state being expanded.
  StateId current_;
  uint32_t current_depth_ = 0;
  uint64_t delivered_ = 0;         ///< successors of the current state so far
  bool count_only_ = false;        ///< BFS finishing the level of its first (transition) violation
  std::vector<StateId> children_;  ///< DFS: new successors of the current state
  std::vector<DfsEntry> stack_;
  static constexpr unsigned kBatch = 16;
  std::vector<uint8_t> batch_states_;  ///< kBatch states of state_size() bytes
  std::array<Label, kBatch> batch_labels_{};
  std::array<StateId, kBatch> batch_parents_{};
  std::array<uint64_t, kBatch> batch_hashes_{};
  unsigned batch_size_ = 0;

  Stop stop_ = Stop::None;
  uint64_t transitions_ = 0;
  uint64_t expanded_ = 0;
  uint32_t max_depth_ = 0;
  uint64_t peak_bytes_ = 0;
  std::vector<Pending> found_;  ///< in order of discovery
  std::map<ViolationKey, std::size_t> by_key_;

  Clock::time_point start_;
  Clock::time_point last_clock_;
  uint64_t next_clock_check_ = 0;
  uint64_t clock_interval_ = 1;
};

void Explorer::on_successor(Label label, std::span<const uint8_t> state, const Finding* finding) {
  ++transitions_;
  ++delivered_;
  if (stop_ != Stop::None) return;
  if (finding != nullptr && checked(finding->rule)) {
    flush();  // the successors delivered before this one come first
    if (stop_ == Stop::None) record(current_, label, *finding, current_depth_ + 1);
    return;
  }
  if (count_only_) return;
  // Batch the lookups: hash now and prefetch the table slot, look up a batch at a time.
  const std::size_t n = store_.state_size();
  if (n != 0) std::memcpy(batch_states_.data() + batch_size_ * n, state.data(), n);
  batch_labels_[batch_size_] = label;
  batch_parents_[batch_size_] = current_;
  batch_hashes_[batch_size_] = store_.hash(state);
  store_.prefetch_slot(batch_hashes_[batch_size_]);
  if (++batch_size_ == kBatch) flush();
}

void Explorer::flush() {
  // Whatever stops the search, the successors delivered before it are stored (as if they had
  // been looked up one by one), unless the store itself is full.
  const std::size_t n = store_.state_size();
  for (unsigned i = 0; i < batch_size_ && stop_ != Stop::StateLimit && stop_ != Stop::MemoryLimit;
       ++i) {
    const std::span<const uint8_t> state(batch_states_.data() + i * n, n);
    const StateStore::InsertResult r =
        store_.insert_hashed(state, batch_hashes_[i], batch_parents_[i], batch_labels_[i]);
    switch (r.status) {
      case StateStore::Status::Inserted:
        max_depth_ = std::max(max_depth_, current_depth_ + 1);
        if (dfs_) children_.push_back(r.id);
        break;
      case StateStore::Status::Found:
        break;
      case StateStore::Status::StateLimit:
        stop_ = Stop::StateLimit;
        break;
      case StateStore::Status::MemoryLimit:
        stop_ = Stop::MemoryLimit;
        break;
    }
  }
  batch_size_ = 0;
}

void Explorer::expand(StateId id, uint32_t depth) {
  current_ = id;
  current_depth_ = depth;
  delivered_ = 0;
  const std::span<const uint8_t> state = store_.state(id);
  ts_.successors(state, *this);
  if (dfs_) flush();  // BFS batches across states, flushing at least at each level's end
  ++expanded_;
  if (delivered_ == 0) {
    const std::optional<Finding> f = ts_.end_state(state);
    if (f && checked(f->rule)) record(id, std::nullopt, *f, depth);
  }
}

void Explorer::record(StateId at, std::optional<Label> label, const Finding& f, uint32_t length) {
  if (!opts_.all) {
    if (found_.empty()) {
      found_.push_back(Pending{at, label, f, length});
    } else if (length < found_.front().length) {
      found_.front() = Pending{at, label, f, length};
    } else {
      return;
    }
    // BFS: a transition violation found while expanding level d has d+1 steps, but an end
    // state later in level d would have only d: finish the level (without storing new
    // states) before stopping. An end-state violation is final at once.
    if (dfs_ || !label) {
      stop_ = Stop::Violation;
    } else {
      count_only_ = true;
    }
    return;
  }
  const ViolationKey key{f.rule, f.loc.file.value, f.loc.line, f.loc.col};
  const auto [it, fresh] = by_key_.try_emplace(key, found_.size());
  if (fresh) {
    found_.push_back(Pending{at, label, f, length});
  } else if (length < found_[it->second].length) {
    found_[it->second] = Pending{at, label, f, length};  // keeps its place in the order
  }
}

bool Explorer::limit_reached(uint64_t queue) {
  if (opts_.interrupt != nullptr && opts_.interrupt->load(std::memory_order_relaxed)) {
    stop_ = Stop::Interrupted;
    return true;
  }
  const uint64_t mem = memory_bytes();
  peak_bytes_ = std::max(peak_bytes_, mem);
  if (max_bytes_ != 0 && mem > max_bytes_) {
    stop_ = Stop::MemoryLimit;
    return true;
  }
  if (expanded_ < next_clock_check_) return false;
  // Read the clock about every few milliseconds whatever an expansion costs.
  const Clock::time_point now = Clock::now();
  const double since_last = seconds_between(last_clock_, now);
  if (since_last < 0.002) {
    clock_interval_ = std::min<uint64_t>(clock_interval_ * 2, 4096);
  } else if (since_last > 0.02) {
    clock_interval_ = std::max<uint64_t>(clock_interval_ / 2, 1);
  }
  last_clock_ = now;
  next_clock_check_ = expanded_ + clock_interval_;
  const double elapsed = seconds_between(start_, now);
  if (opts_.time_limit_s > 0 && elapsed >= opts_.time_limit_s) {
    stop_ = Stop::TimeLimit;
    return true;
  }
  if (progress_) progress_->update({elapsed, store_.size(), max_depth_, queue, mem});
  return false;
}

void Explorer::run_bfs() {
  // States get ids in discovery order, so the queue is the id range [head, size). The
  // successor batch may span states of one level; it is flushed at the level's end, so every
  // state of the next level is stored before the level counter moves on.
  uint64_t head = 0;
  uint64_t level_end = store_.size();
  uint32_t depth = 0;
  for (;;) {
    if (head == level_end) {
      flush();
      if (stop_ != Stop::None) break;
      if (count_only_) break;                 // the level of the first violation is finished
      if (store_.size() == level_end) break;  // no next level: complete
      ++depth;
      level_end = store_.size();
    }
    if (limit_reached(store_.size() + batch_size_ - head)) break;
    expand(StateId{static_cast<uint32_t>(head)}, depth);
    ++head;
    if (stop_ != Stop::None) break;
  }
  flush();
}

bool Explorer::reserve_stack(std::size_t more) {
  const std::size_t need = stack_.size() + more;
  if (need <= stack_.capacity()) return true;
  const std::size_t capacity = std::max<std::size_t>({need, 2 * stack_.capacity(), 1024});
  const uint64_t during = memory_bytes() + capacity * sizeof(DfsEntry);  // old + new
  if (max_bytes_ != 0 && during > max_bytes_) {
    stop_ = Stop::MemoryLimit;
    return false;
  }
  peak_bytes_ = std::max(peak_bytes_, during);
  stack_.reserve(capacity);
  update_store_budget();
  return true;
}

void Explorer::run_dfs() {
  if (!reserve_stack(1)) return;
  stack_.push_back(DfsEntry{StateId{0}, 0});
  while (!stack_.empty()) {
    if (limit_reached(stack_.size())) break;
    const DfsEntry e = stack_.back();
    stack_.pop_back();
    children_.clear();
    expand(e.id, e.depth);
    if (stop_ != Stop::None) break;
    // Reversed, so the first successor is expanded first.
    if (!reserve_stack(children_.size())) break;
    for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
      stack_.push_back(DfsEntry{*it, e.depth + 1});
    }
  }
}

std::string Explorer::stop_reason() const {
  const uint64_t n = store_.size();
  const std::string after = " after " + std::to_string(n) + (n == 1 ? " state" : " states") +
                            " (depth " + std::to_string(max_depth_) + ")";
  switch (stop_) {
    case Stop::StateLimit:
      if (opts_.max_states == 0 || store_.size() < opts_.max_states) {
        return "state id space (32-bit) exhausted" + after;
      }
      return "state limit " + std::to_string(opts_.max_states) + " reached" + after;
    case Stop::MemoryLimit:
      return "memory limit " + std::to_string(opts_.max_memory_mb) + " MB reached" + after;
    case Stop::TimeLimit:
      return "time limit " + format_limit_double(opts_.time_limit_s) + " s reached" + after;
    case Stop::Interrupted:
      return "interrupted" + after;
    case Stop::None:
    case Stop::Violation:
      break;
  }
  return {};
}

Violation Explorer::build(const Pending& p) {
  std::vector<StateId> path;
  for (StateId s = p.state; s.valid(); s = store_.parent(s)) path.push_back(s);
  std::reverse(path.begin(), path.end());

  const std::size_t n = store_.state_size();
  const auto same = [n](const std::vector<uint8_t>& a, std::span<const uint8_t> b) {
    return a.size() == n && (n == 0 || std::memcmp(a.data(), b.data(), n) == 0);
  };
  std::vector<uint8_t> before(n);
  std::vector<uint8_t> after(n);
  ts_.initial_state(before);
  if (!same(before, store_.state(path.front()))) {
    throw std::logic_error("trace reconstruction: the initial state changed between calls");
  }

  Violation v;
  v.trace.reserve(path.size() - 1 + (p.label ? 1 : 0));
  for (std::size_t i = 1; i < path.size(); ++i) {
    after.resize(n);
    v.trace.push_back(ts_.describe(before, store_.label(path[i]), after));
    if (!same(after, store_.state(path[i]))) {
      throw std::logic_error("trace reconstruction: step " + std::to_string(i - 1) +
                             " does not reach the stored state (describe() disagrees with "
                             "successors())");
    }
    std::swap(before, after);
  }
  if (p.label) {
    after.resize(n);
    v.trace.push_back(ts_.describe(before, *p.label, after));
    v.violating_step = StepIndex{static_cast<uint32_t>(v.trace.size() - 1)};
  }

  const Explanation ex = ts_.explain(p.finding, v.trace);
  v.rule = p.finding.rule;
  v.message = p.finding.message;
  v.headline = ex.headline;
  v.loc = ts_.result_loc(p.finding.loc);
  v.racing_steps.reserve(ex.racing_steps.size());
  for (const uint32_t s : ex.racing_steps) v.racing_steps.push_back(StepIndex{s});
  return v;
}

SpecResult Explorer::run() {
  start_ = Clock::now();
  last_clock_ = start_;

  std::vector<uint8_t> initial(store_.state_size());
  ts_.initial_state(initial);
  const StateStore::InsertResult r = store_.insert(initial, StateId::none(), Label{});
  if (r.status == StateStore::Status::Inserted) {
    if (dfs_) {
      run_dfs();
    } else {
      run_bfs();
    }
  } else {
    stop_ = r.status == StateStore::Status::MemoryLimit ? Stop::MemoryLimit : Stop::StateLimit;
  }
  if (progress_) progress_->finish();

  SpecResult out;
  out.violations.reserve(found_.size());
  for (const Pending& p : found_) out.violations.push_back(build(p));
  out.incomplete_reason = stop_reason();
  if (!out.violations.empty()) {
    out.verdict = Verdict::Violation;
  } else if (!out.incomplete_reason.empty()) {
    out.verdict = Verdict::Incomplete;
  } else {
    out.verdict = Verdict::Pass;
  }
  out.stats.states = store_.size();
  out.stats.transitions = transitions_;
  out.stats.max_depth = max_depth_;
  out.stats.state_bytes = static_cast<uint32_t>(store_.state_size());
  out.stats.peak_memory_bytes = std::max({peak_bytes_, memory_bytes(), store_.peak_memory_bytes()});
  out.stats.seconds = seconds_between(start_, Clock::now());
  return out;
}

}  // namespace

SpecResult explore(TransitionSystem& ts, const CheckOptions& opts) {
  Explorer e(ts, opts);
  return e.run();
}

}  // namespace cc
