#include "checker/explorer.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "checker/chunk_pipeline.h"
#include "checker/hash_set.h"
#include "checker/limits.h"
#include "checker/liveness.h"
#include "checker/process_memory.h"
#include "checker/progress.h"
#include "checker/reduced_sink.h"
#include "checker/state_store.h"
#include "checker/trace_build.h"

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
  std::vector<Label> path;  ///< hash compaction: the labels from the initial state to `state`
  uint32_t length = 0;      ///< steps in the trace
};

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

/// Memory kept free for what follows the search (traces, replay, reports): 1/32 of the limit,
/// between 2 MB and 64 MB.
uint64_t reserve_for(uint64_t limit) {
  return std::clamp<uint64_t>(limit / 32, uint64_t{2} << 20, uint64_t{64} << 20);
}

/// The budget of the search's own structures under a limit of `limit` bytes (0 = none): with
/// process accounting, what the process already holds and the reserve are taken off first.
uint64_t search_budget(uint64_t limit, bool whole_process, uint64_t resident_at_start) {
  if (limit == 0 || !whole_process) return limit;
  const uint64_t taken = resident_at_start + reserve_for(limit);
  return taken >= limit ? 1 : limit - taken;
}

/// Expands `state`. With partial-order reduction, only the system's persistent set is
/// taken, collected in `buf` and handed to `take`, provided that none of its successors has
/// been `seen` (the cycle proviso: a reduced expansion only ever leads to states discovered
/// by it or deeper, so every cycle has a fully expanded state); otherwise every successor
/// goes to `sink`. Returns true when the expansion was reduced.
template <typename Seen, typename Take>
bool expand_state(TransitionSystem& ts, bool por, std::span<const uint8_t> state,
                  SuccessorSink& sink, ReducedSink& buf, Seen&& seen, Take&& take) {
  if (por) {
    buf.clear();
    if (ts.persistent_successors(state, buf) && buf.none_seen(seen)) {
      buf.for_each(take);
      return true;
    }
  }
  ts.successors(state, sink);
  return false;
}

/// What a worker of the parallel BFS found while expanding one chunk of a level: per state,
/// how many successors it had and where its interesting ones end; the interesting ones are
/// new-looking states (not in the store when the slice began) and checked findings.
struct ChunkOut {
  struct Succ {
    Label label;
    uint32_t index;  ///< offset into states (a packed state) or index into findings
    uint32_t size;   ///< bytes of the packed state
    bool finding;
    bool known;  ///< already stored: `index` is its id (an edge for the liveness pass)
    uint64_t hash;
  };
  std::vector<uint32_t> delivered;  ///< per expanded state: successors delivered
  std::vector<uint32_t> succ_end;   ///< per expanded state: end of its entries in succs
  std::vector<std::optional<Finding>> end_findings;  ///< per state without successors
  std::vector<Succ> succs;
  std::vector<uint8_t> states;  ///< packed bytes of the new-looking states
  std::vector<Finding> findings;
  /// Per expanded state: 1 when it was expanded with a persistent set only (counted as the
  /// main thread merges it, so a limit stops the count where one thread would stop it).
  std::vector<uint8_t> reduced;
  /// What an expansion threw (a model limit, say) and at which of the chunk's states: the
  /// merge rethrows it when it reaches that state, so the search stops where one thread
  /// would (never when it stopped earlier), and no exception leaves a worker thread.
  std::exception_ptr error;
  std::size_t error_state = 0;
  uint64_t fresh = 0;  ///< new-looking states (what the merge may insert)

  void clear() {
    error = nullptr;
    error_state = 0;
    fresh = 0;
    reduced.clear();
    delivered.clear();
    succ_end.clear();
    end_findings.clear();
    succs.clear();
    states.clear();
    findings.clear();
  }
  uint64_t bytes() const {
    return delivered.capacity() * 4 + succ_end.capacity() * 4 +
           end_findings.capacity() * sizeof(std::optional<Finding>) +
           succs.capacity() * sizeof(Succ) + states.capacity() +
           findings.capacity() * sizeof(Finding);
  }
};

/// The sink of one worker: filters out successors already stored (lookups that may run while
/// the merging thread inserts: a state inserted meanwhile is found or not, and the merge
/// finds it either way) and keeps the rest, in delivery order.
class ChunkSink final : public SuccessorSink {
 public:
  ChunkSink(const TransitionSystem& ts, const StateStore& store,
            const std::array<bool, kRuleCount>& rules, bool count_only, bool edges)
      : ts_(ts),
        store_(store),
        rules_(rules),
        count_only_(count_only),
        edges_(edges),
        packed_(store.state_size()) {}
  void start(ChunkOut* out) {
    out_ = out;
    first_pending_ = out->succs.size();
    pending_ = 0;
  }
  void on_successor(Label label, std::span<const uint8_t> state, const Finding* finding) override {
    const std::span<const uint8_t> packed(packed_.data(), ts_.pack(state, packed_.data()));
    add_packed(label, packed, store_.hash(packed), finding);
  }
  /// on_successor() for a state already packed and hashed.
  void add_packed(Label label, std::span<const uint8_t> packed, uint64_t hash,
                  const Finding* finding) {
    ++out_->delivered.back();
    if (finding != nullptr && rules_[static_cast<std::size_t>(finding->rule)]) {
      out_->succs.push_back(
          {label, static_cast<uint32_t>(out_->findings.size()), 0, true, false, 0});
      out_->findings.push_back(*finding);
      return;
    }
    if (count_only_) return;
    // A candidate: looked up with the next few, their table slots fetched meanwhile.
    store_.prefetch_slot(hash);
    if (pending_ == 0) pending_bytes_ = out_->states.size();
    out_->succs.push_back({label, static_cast<uint32_t>(out_->states.size()),
                           static_cast<uint32_t>(packed.size()), false, false, hash});
    out_->states.insert(out_->states.end(), packed.begin(), packed.end());
    if (++pending_ == kLookAhead) flush();
  }
  /// Looks the candidates up: the states already stored are dropped (or kept as edges), the
  /// others stay, in delivery order. Called after each expanded state too.
  void flush() {
    if (pending_ == 0) return;
    std::vector<ChunkOut::Succ>& v = out_->succs;
    std::vector<uint8_t>& bytes = out_->states;
    std::size_t w = first_pending_;
    std::size_t wb = pending_bytes_;  // where the kept candidates' bytes go
    for (std::size_t r = first_pending_; r < v.size(); ++r) {
      ChunkOut::Succ e = v[r];
      if (!e.finding) {
        const std::span<const uint8_t> packed(bytes.data() + e.index, e.size);
        if (const StateId known = store_.find_hashed(packed, e.hash); known.valid()) {
          if (!edges_) continue;
          e = {e.label, known.value, 0, false, true, 0};
        } else {
          ++out_->fresh;
          if (e.index != wb && e.size != 0) std::memmove(bytes.data() + wb, packed.data(), e.size);
          e.index = static_cast<uint32_t>(wb);
          wb += e.size;
        }
      }
      v[w++] = e;
    }
    v.resize(w);
    bytes.resize(wb);
    first_pending_ = w;
    pending_ = 0;
  }

 private:
  const TransitionSystem& ts_;
  const StateStore& store_;
  const std::array<bool, kRuleCount>& rules_;
  const bool count_only_;
  const bool edges_;  ///< keep the successors already stored (edges for the liveness pass)
  static constexpr unsigned kLookAhead = 16;  ///< candidates looked up together
  ChunkOut* out_ = nullptr;
  std::size_t first_pending_ = 0;  ///< the first entry of succs not looked up yet
  unsigned pending_ = 0;           ///< candidates not looked up yet
  std::size_t pending_bytes_ = 0;  ///< where their bytes begin in the chunk's states
  std::vector<uint8_t> packed_;
};

class Explorer final : public SuccessorSink {
 public:
  Explorer(TransitionSystem& ts, const CheckOptions& opts)
      : ts_(ts),
        opts_(opts),
        limit_bytes_(opts.max_memory_mb << 20),
        resident_at_start_(opts.limit_process_memory ? process_resident_bytes() : 0),
        max_bytes_(search_budget(limit_bytes_, opts.limit_process_memory, resident_at_start_)),
        store_(ts.state_size(), opts.max_states, max_bytes_),
        dfs_(opts.search == SearchOrder::Dfs || opts.hash_compaction),
        compact_(opts.hash_compaction),
        visited_(max_bytes_) {
    if (opts.rules.empty()) {
      rules_.fill(true);
    } else {
      for (const RuleId r : opts.rules) rules_.at(static_cast<std::size_t>(r)) = true;
    }
    if (opts.progress) progress_.emplace(stderr);
    batch_states_.resize(std::max<std::size_t>(1, kBatch * ts.state_size()));
    full_.resize(ts.state_size());
    packed_.resize(ts.state_size());
    children_.reserve(64);
    update_store_budget();
  }

  SpecResult run();

 private:
  void on_successor(Label label, std::span<const uint8_t> state, const Finding* finding) override;
  /// on_successor() for a state already packed and hashed as the store takes it.
  void on_packed(Label label, std::span<const uint8_t> packed, uint64_t hash,
                 const Finding* finding);
  /// Counts a delivered successor and records its finding; true when the state itself is
  /// still to be looked up (no stop, no checked finding, not just counting).
  bool wants_state(Label label, const Finding* finding);
  /// Adds the packed state in the next batch slot (`size` bytes, `hash`) to the batch.
  void enqueue(Label label, std::size_t size, uint64_t hash);
  void flush();  ///< looks up and stores the batched successors, in delivery order
  void expand(StateId id, uint32_t depth);
  void run_bfs();
  /// Copies of the transition system for the extra threads; false when it cannot be copied.
  bool init_clones() {
    for (unsigned t = 1; t < opts_.threads; ++t) {
      std::unique_ptr<TransitionSystem> c = ts_.clone();
      if (!c) return false;
      clones_.push_back(std::move(c));
    }
    return true;
  }
  /// Level-synchronous BFS over opts.threads threads, with the one-thread search's results.
  void run_parallel_bfs();
  /// What one thread of the parallel BFS expands with.
  struct Worker {
    Worker(TransitionSystem& t, ChunkSink s) : ts(t), sink(std::move(s)), reduced(&t) {}
    TransitionSystem& ts;
    ChunkSink sink;
    ReducedSink reduced;
    std::vector<uint8_t> full;  ///< the state being expanded, unpacked
  };
  /// Expands chunk `chunk` of the current level (frontier states from level_first_) into
  /// its buffer slot.
  void expand_chunk(Worker& w, uint64_t chunk);
  /// Stores one chunk's results as the one-thread search would have, in frontier order.
  void merge_chunk(const ChunkOut& c, uint64_t first, uint32_t depth);
  void run_dfs();
  /// Depth-first search keeping only 64-bit hashes of visited states (hash compaction).
  void run_compact_dfs();
  /// Hash compaction: the successor handling of on_successor(); `hash` is store_.hash(state).
  void compact_successor(Label label, std::span<const uint8_t> state, uint64_t hash);
  /// Polls the interrupt flag, memory, time and the progress line; true = stop now.
  bool limit_reached(uint64_t queue);
  /// Bytes of the search's structures besides the store.
  uint64_t other_bytes() const {
    uint64_t chunks = 0;
    for (const uint64_t b : chunk_bytes_) chunks += b;
    return stack_.capacity() * sizeof(DfsEntry) + children_.capacity() * sizeof(StateId) +
           batch_states_.capacity() + chunks + cstack_.capacity() + cchildren_.capacity() +
           path_.capacity() * sizeof(Label) + edges_.bytes();
  }
  uint64_t memory_bytes() const {
    return (compact_ ? visited_.memory_bytes() : store_.memory_bytes()) + other_bytes();
  }
  /// States visited so far.
  uint64_t stored() const { return compact_ ? visited_.size() : store_.size(); }
  /// The store may use what the other structures leave of the memory limit.
  void update_store_budget() {
    if (max_bytes_ != 0) {
      const uint64_t budget =
          std::max<uint64_t>(1, max_bytes_ - std::min(max_bytes_, other_bytes()));
      store_.set_max_bytes(budget);
      visited_.set_max_bytes(budget);
    }
  }
  /// Makes room for the DFS stack to take `more` entries; false when the limit forbids it.
  bool reserve_stack(std::size_t more);
  bool checked(RuleId r) const { return rules_[static_cast<std::size_t>(r)]; }
  void record(StateId at, std::optional<Label> label, const Finding& f, uint32_t length);
  Violation build(const Pending& p);
  std::string stop_reason() const;
  /// Records an edge for the liveness pass; a log that cannot grow stops the search at the
  /// memory limit, and one that grew leaves the store less room.
  void record_edge(StateId from, StateId to) {
    const bool grows = edges_.grows(from);
    if (grows && max_bytes_ != 0) {
      // The log may take what the store and the other structures leave now.
      edges_.set_max_bytes(std::max<uint64_t>(
          1, max_bytes_ - std::min(max_bytes_, memory_bytes() - edges_.bytes())));
    }
    if (!edges_.add(from, to)) {
      stop_ = Stop::MemoryLimit;
      return;
    }
    if (grows) {
      peak_bytes_ = std::max(peak_bytes_, memory_bytes());
      update_store_budget();
    }
  }
  /// The liveness pass over the finished search's graph (docs/liveness.md), into `out`.
  void run_liveness(SpecResult& out);

  struct DfsEntry {
    StateId id;
    uint32_t depth;
  };

  TransitionSystem& ts_;
  const CheckOptions& opts_;
  const uint64_t limit_bytes_;        ///< --max-memory in bytes (0 = none)
  const uint64_t resident_at_start_;  ///< the process's resident set before the search
  const uint64_t max_bytes_;          ///< budget of the search's structures
  StateStore store_;
  const bool dfs_;
  const bool compact_;
  /// The search records its edges for the liveness pass (not with hash compaction).
  const bool record_edges_ = opts_.liveness && !compact_;
  EdgeLog edges_;
  HashSet visited_;  ///< hash compaction: the visited states' hashes
  // Hash compaction: the DFS stack and the new successors of the current state as records
  // [label][depth][state bytes], and the labels from the initial state to the current one.
  std::vector<uint8_t> cstack_;
  std::vector<uint8_t> cchildren_;
  std::vector<Label> path_;
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
  std::vector<uint8_t> batch_states_;  ///< kBatch packed states, state_size() bytes apart
  std::array<uint32_t, kBatch> batch_sizes_{};
  std::vector<uint8_t> full_;    ///< the state being expanded, unpacked
  std::vector<uint8_t> packed_;  ///< scratch for packing one state
  std::array<Label, kBatch> batch_labels_{};
  std::array<StateId, kBatch> batch_parents_{};
  std::array<uint64_t, kBatch> batch_hashes_{};
  unsigned batch_size_ = 0;

  Stop stop_ = Stop::None;
  uint64_t transitions_ = 0;
  uint64_t expanded_ = 0;
  uint64_t reduced_ = 0;  ///< expansions limited to a persistent set
  /// Cycle proviso: a stored successor with an id below this counts as seen (BFS: the first
  /// id of the next level; DFS: every stored state).
  uint64_t proviso_floor_ = UINT64_MAX;
  ReducedSink reduced_sink_{compact_ ? nullptr : &ts_};
  uint32_t max_depth_ = 0;
  uint64_t peak_bytes_ = 0;
  uint64_t liveness_peak_ = 0;  ///< the store and the liveness pass's structures together
  std::vector<Pending> found_;  ///< in order of discovery

  // Parallel BFS.
  std::vector<std::unique_ptr<TransitionSystem>> clones_;  ///< one per extra thread
  std::vector<ChunkOut> chunks_;  ///< buffer slots of the chunks in flight (chunk % window)
  /// Per slot: the bytes its buffers held when last merged (what the memory bound counts;
  /// read only by the merging thread, while helpers may be filling the slots).
  std::vector<uint64_t> chunk_bytes_;
  uint64_t level_first_ = 0;  ///< parallel BFS: the current level's first state
  uint64_t level_end_ = 0;    ///< and the state after its last
  std::map<ViolationKey, std::size_t> by_key_;

  Clock::time_point start_;
  Clock::time_point last_clock_;
  uint64_t next_clock_check_ = 0;
  uint64_t clock_interval_ = 1;
};

bool Explorer::wants_state(Label label, const Finding* finding) {
  ++transitions_;
  ++delivered_;
  if (stop_ != Stop::None) return false;
  if (finding != nullptr && checked(finding->rule)) {
    flush();  // the successors delivered before this one come first
    if (stop_ == Stop::None) record(current_, label, *finding, current_depth_ + 1);
    return false;
  }
  return compact_ || !count_only_;
}

void Explorer::on_successor(Label label, std::span<const uint8_t> state, const Finding* finding) {
  if (!wants_state(label, finding)) return;
  if (compact_) {
    compact_successor(label, state, store_.hash(state));
    return;
  }
  // Batch the lookups: pack and hash now and prefetch the table slot, look up a batch at a
  // time.
  uint8_t* slot = batch_states_.data() + batch_size_ * store_.state_size();
  const std::size_t len = ts_.pack(state, slot);
  enqueue(label, len, store_.hash(std::span<const uint8_t>(slot, len)));
}

void Explorer::on_packed(Label label, std::span<const uint8_t> packed, uint64_t hash,
                         const Finding* finding) {
  if (!wants_state(label, finding)) return;
  if (!packed.empty()) {
    std::memcpy(batch_states_.data() + batch_size_ * store_.state_size(), packed.data(),
                packed.size());
  }
  enqueue(label, packed.size(), hash);
}

void Explorer::enqueue(Label label, std::size_t size, uint64_t hash) {
  batch_sizes_[batch_size_] = static_cast<uint32_t>(size);
  batch_labels_[batch_size_] = label;
  batch_parents_[batch_size_] = current_;
  batch_hashes_[batch_size_] = hash;
  store_.prefetch_slot(hash);
  if (++batch_size_ == kBatch) flush();
}

void Explorer::flush() {
  // Whatever stops the search, the successors delivered before it are stored (as if they had
  // been looked up one by one), unless the store itself is full.
  const std::size_t n = store_.state_size();
  for (unsigned i = 0; i < batch_size_ && stop_ != Stop::StateLimit && stop_ != Stop::MemoryLimit;
       ++i) {
    const std::span<const uint8_t> state(batch_states_.data() + i * n, batch_sizes_[i]);
    const StateStore::InsertResult r =
        store_.insert_hashed(state, batch_hashes_[i], batch_parents_[i], batch_labels_[i]);
    if (record_edges_ && r.id.valid()) record_edge(batch_parents_[i], r.id);
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
  ts_.unpack(store_.state(id), full_);
  const std::span<const uint8_t> state = full_;
  const bool reduced = expand_state(
      ts_, opts_.por, state, *this, reduced_sink_,
      [this](std::span<const uint8_t> packed, uint64_t hash) {
        const StateId seen = store_.find_hashed(packed, hash);
        return seen.valid() && seen.value < proviso_floor_;
      },
      [this](Label l, std::span<const uint8_t> packed, uint64_t hash, const Finding* f) {
        on_packed(l, packed, hash, f);
      });
  reduced_ += reduced ? 1 : 0;
  if (dfs_) flush();  // BFS batches across states, flushing at least at each level's end
  ++expanded_;
  if (delivered_ == 0) {
    const std::optional<Finding> f = ts_.end_state(state);
    if (f && checked(f->rule)) record(id, std::nullopt, *f, depth);
  }
}

void Explorer::record(StateId at, std::optional<Label> label, const Finding& f, uint32_t length) {
  const auto pending = [&] {
    return Pending{at, label, f, compact_ ? path_ : std::vector<Label>{}, length};
  };
  if (!opts_.all) {
    if (found_.empty()) {
      found_.push_back(pending());
    } else if (length < found_.front().length) {
      found_.front() = pending();
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
    found_.push_back(pending());
  } else if (length < found_[it->second].length) {
    found_[it->second] = pending();  // keeps its place in the order
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
  if (opts_.limit_process_memory && limit_bytes_ != 0) {
    // What the structures do not see (allocator slack, the transition system's own tables)
    // still counts: the process itself must stay under the limit.
    const uint64_t resident = process_resident_bytes();
    if (resident + reserve_for(limit_bytes_) / 2 > limit_bytes_) {
      stop_ = Stop::MemoryLimit;
      return true;
    }
  }
  const double elapsed = seconds_between(start_, now);
  if (opts_.time_limit_s > 0 && elapsed >= opts_.time_limit_s) {
    stop_ = Stop::TimeLimit;
    return true;
  }
  if (progress_) progress_->update({elapsed, stored(), max_depth_, queue, mem});
  return false;
}

void Explorer::run_bfs() {
  // States get ids in discovery order, so the queue is the id range [head, size). The
  // successor batch may span states of one level; it is flushed at the level's end, so every
  // state of the next level is stored before the level counter moves on.
  uint64_t head = 0;
  uint64_t level_end = store_.size();
  uint32_t depth = 0;
  proviso_floor_ = level_end;
  for (;;) {
    if (head == level_end) {
      flush();
      if (stop_ != Stop::None) break;
      if (count_only_) break;                 // the level of the first violation is finished
      if (store_.size() == level_end) break;  // no next level: complete
      ++depth;
      level_end = store_.size();
      proviso_floor_ = level_end;
    }
    if (limit_reached(store_.size() + batch_size_ - head)) break;
    expand(StateId{static_cast<uint32_t>(head)}, depth);
    ++head;
    // Near the state limit, store each state's successors before the next state is
    // expanded: the search then stops after the very state whose successor did not fit, as
    // the parallel search does, and the transition and reduction counts agree with it.
    if (opts_.max_states != 0 && store_.size() + batch_size_ >= opts_.max_states) flush();
    if (stop_ != Stop::None) break;
  }
  flush();
}

// Frontier states per chunk (the unit a thread takes) and chunks expanded ahead of the merge
// at most (bounds the buffered successors).
constexpr uint64_t kChunkStates = 256;
constexpr unsigned kWindowChunks = 32;
// The merge fetches the table slot of the candidate this many entries ahead.
constexpr uint32_t kMergeAhead = 8;

void Explorer::expand_chunk(Worker& w, uint64_t chunk) {
  ChunkOut& out = chunks_[chunk % chunks_.size()];
  out.clear();
  w.sink.start(&out);
  const auto seen = [&](std::span<const uint8_t> packed, uint64_t hash) {
    const StateId id = store_.find_hashed(packed, hash);
    return id.valid() && id.value < proviso_floor_;
  };
  const auto take = [&](Label l, std::span<const uint8_t> packed, uint64_t hash, const Finding* f) {
    w.sink.add_packed(l, packed, hash, f);
  };
  const uint64_t first = level_first_ + chunk * kChunkStates;
  const uint64_t end = std::min(level_end_, first + kChunkStates);
  w.full.resize(store_.state_size());
  for (uint64_t i = first; i < end; ++i) {
    try {
      w.ts.unpack(store_.state(StateId{static_cast<uint32_t>(i)}), w.full);
      const std::span<const uint8_t> state = w.full;
      out.delivered.push_back(0);
      const bool red = expand_state(w.ts, opts_.por, state, w.sink, w.reduced, seen, take);
      w.sink.flush();
      out.reduced.push_back(red ? 1 : 0);
      out.succ_end.push_back(static_cast<uint32_t>(out.succs.size()));
      out.end_findings.emplace_back();
      if (out.delivered.back() == 0) out.end_findings.back() = w.ts.end_state(state);
    } catch (...) {
      out.error = std::current_exception();
      out.error_state = static_cast<std::size_t>(i - first);
      out.delivered.resize(out.error_state + 1);  // the merge reaches the failed state
      break;
    }
  }
}

void Explorer::merge_chunk(const ChunkOut& c, uint64_t first, uint32_t depth) {
  current_depth_ = depth;
  uint32_t begin = 0;
  for (std::size_t k = 0; k < c.delivered.size() && stop_ == Stop::None; ++k) {
    if (c.error && k == c.error_state) std::rethrow_exception(c.error);
    current_ = StateId{static_cast<uint32_t>(first + k)};
    for (uint32_t j = begin; j < c.succ_end[k] && stop_ == Stop::None; ++j) {
      const ChunkOut::Succ& e = c.succs[j];
      if (j + kMergeAhead < c.succs.size()) {
        const ChunkOut::Succ& ahead = c.succs[j + kMergeAhead];
        if (!ahead.finding && !ahead.known) store_.prefetch_slot(ahead.hash);
      }
      if (e.finding) {
        record(current_, e.label, c.findings[e.index], depth + 1);
        continue;
      }
      if (count_only_) continue;
      if (e.known) {
        record_edge(current_, StateId{e.index});
        continue;
      }
      const std::span<const uint8_t> state(c.states.data() + e.index, e.size);
      const StateStore::InsertResult r = store_.insert_hashed(state, e.hash, current_, e.label);
      if (record_edges_ && r.id.valid()) record_edge(current_, r.id);
      if (r.status == StateStore::Status::Inserted) {
        max_depth_ = std::max(max_depth_, depth + 1);
      } else if (r.status == StateStore::Status::StateLimit) {
        stop_ = Stop::StateLimit;
      } else if (r.status == StateStore::Status::MemoryLimit) {
        stop_ = Stop::MemoryLimit;
      }
    }
    begin = c.succ_end[k];
    transitions_ += c.delivered[k];
    reduced_ += c.reduced[k];
    ++expanded_;
    if (c.delivered[k] == 0 && c.end_findings[k] && checked(c.end_findings[k]->rule)) {
      record(current_, std::nullopt, *c.end_findings[k], depth);
    }
  }
}

// The levels are run one after the other; within a level, the calling thread merges chunk
// after chunk in frontier order while the helpers (and the calling thread, when the next
// chunk is not ready) expand the chunks ahead. The merge inserts while helpers look states
// up: the store publishes each state with its table slot, and what would move memory that
// lookups read (a table growth, a longer block index) is done with the helpers held back.
void Explorer::run_parallel_bfs() {
  std::vector<std::unique_ptr<Worker>> workers;
  workers.push_back(
      std::make_unique<Worker>(ts_, ChunkSink(ts_, store_, rules_, count_only_, record_edges_)));
  for (const std::unique_ptr<TransitionSystem>& c : clones_) {
    workers.push_back(
        std::make_unique<Worker>(*c, ChunkSink(*c, store_, rules_, count_only_, record_edges_)));
  }
  chunks_.resize(kWindowChunks);
  chunk_bytes_.assign(kWindowChunks, 0);
  ChunkPipeline pipe(static_cast<unsigned>(clones_.size()), kWindowChunks,
                     [&](unsigned w, uint64_t chunk) { expand_chunk(*workers[w], chunk); });
  level_first_ = 0;
  level_end_ = store_.size();
  proviso_floor_ = level_end_;
  uint32_t depth = 0;
  while (stop_ == Stop::None) {
    const uint64_t nchunks = (level_end_ - level_first_ + kChunkStates - 1) / kChunkStates;
    pipe.run_level(nchunks, [&](uint64_t c) {
      const uint64_t first = level_first_ + c * kChunkStates;
      if (limit_reached(store_.size() - first)) return false;
      const std::size_t slot = c % chunks_.size();
      const ChunkOut& out = chunks_[slot];
      chunk_bytes_[slot] = out.bytes();
      update_store_budget();
      // The table's growth rehashes every state: start it an eighth of the states ahead, on
      // a helper, so that only the states stored meanwhile are left for the growth itself
      // (prepare_growth() declines while a grown table is pending).
      if (store_.prepare_growth(store_.size() / 8 + out.fresh)) {
        pipe.post([this] { store_.fill_grown_table(); });
      }
      if (store_.may_move(out.fresh)) {
        pipe.wait_job();  // the fill reads what the growth moves
        pipe.exclusive([&] { merge_chunk(out, first, depth); });
      } else {
        merge_chunk(out, first, depth);
      }
      peak_bytes_ = std::max(peak_bytes_, memory_bytes());
      return stop_ == Stop::None;
    });
    if (stop_ != Stop::None) break;
    if (count_only_) break;                  // the level of the first violation is finished
    if (store_.size() == level_end_) break;  // no next level: complete
    ++depth;
    level_first_ = level_end_;
    level_end_ = store_.size();
    proviso_floor_ = level_end_;
  }
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

void Explorer::compact_successor(Label label, std::span<const uint8_t> state, uint64_t hash) {
  if (opts_.max_states != 0 && visited_.size() >= opts_.max_states) {
    // Only a new state would pass the limit, but without the states themselves a lookup is
    // an insertion: stop at the first successor once the limit is reached.
    stop_ = Stop::StateLimit;
    return;
  }
  switch (visited_.insert(hash)) {
    case HashSet::Status::Found:
      return;
    case HashSet::Status::MemoryLimit:
      stop_ = Stop::MemoryLimit;
      return;
    case HashSet::Status::Inserted:
      break;
  }
  max_depth_ = std::max(max_depth_, current_depth_ + 1);
  const uint32_t depth = current_depth_ + 1;
  const std::size_t at = cchildren_.size();
  cchildren_.resize(at + 8 + state.size());
  std::memcpy(cchildren_.data() + at, &label, 4);
  std::memcpy(cchildren_.data() + at + 4, &depth, 4);
  if (!state.empty()) std::memcpy(cchildren_.data() + at + 8, state.data(), state.size());
}

void Explorer::run_compact_dfs() {
  const std::size_t n = store_.state_size();
  const std::size_t rec = 8 + n;
  std::vector<uint8_t> cur(n);
  cstack_.resize(rec);
  ts_.initial_state(std::span<uint8_t>(cstack_.data() + 8, n));
  while (!cstack_.empty()) {
    if (limit_reached(cstack_.size() / rec)) break;
    const std::size_t top = cstack_.size() - rec;
    Label label;
    uint32_t depth = 0;
    std::memcpy(&label, cstack_.data() + top, 4);
    std::memcpy(&depth, cstack_.data() + top + 4, 4);
    if (n != 0) std::memcpy(cur.data(), cstack_.data() + top + 8, n);
    cstack_.resize(top);
    path_.resize(depth == 0 ? 0 : depth - 1);
    if (depth != 0) path_.push_back(label);

    current_depth_ = depth;
    delivered_ = 0;
    cchildren_.clear();
    const bool reduced = expand_state(
        ts_, opts_.por, cur, *this, reduced_sink_,
        [this](std::span<const uint8_t> /*state*/, uint64_t hash) {
          return visited_.contains(hash);
        },
        [this](Label l, std::span<const uint8_t> state, uint64_t hash, const Finding* f) {
          if (wants_state(l, f)) compact_successor(l, state, hash);
        });
    reduced_ += reduced ? 1 : 0;
    ++expanded_;
    if (delivered_ == 0) {
      const std::optional<Finding> f = ts_.end_state(cur);
      if (f && checked(f->rule)) record(StateId::none(), std::nullopt, *f, depth);
    }
    if (stop_ != Stop::None) break;
    // Reversed, so the first successor is expanded first.
    const std::size_t kids = cchildren_.size() / rec;
    const uint64_t during =
        memory_bytes() + (cstack_.size() + cchildren_.size() > cstack_.capacity()
                              ? std::max(cstack_.size() + cchildren_.size(), 2 * cstack_.capacity())
                              : 0);
    if (max_bytes_ != 0 && during > max_bytes_) {
      stop_ = Stop::MemoryLimit;
      break;
    }
    peak_bytes_ = std::max(peak_bytes_, during);
    for (std::size_t k = kids; k-- > 0;) {
      cstack_.insert(cstack_.end(), cchildren_.begin() + static_cast<std::ptrdiff_t>(k * rec),
                     cchildren_.begin() + static_cast<std::ptrdiff_t>((k + 1) * rec));
    }
    update_store_budget();
  }
}

std::string Explorer::stop_reason() const {
  const uint64_t n = stored();
  switch (stop_) {
    case Stop::StateLimit:
      return limit_reason(
          opts_.max_states == 0 || n < opts_.max_states ? LimitHit::StateIds : LimitHit::States,
          opts_, n, max_depth_);
    case Stop::MemoryLimit:
      return limit_reason(LimitHit::Memory, opts_, n, max_depth_);
    case Stop::TimeLimit:
      return limit_reason(LimitHit::Time, opts_, n, max_depth_);
    case Stop::Interrupted:
      return limit_reason(LimitHit::Interrupt, opts_, n, max_depth_);
    case Stop::None:
    case Stop::Violation:
      break;
  }
  return {};
}

Violation Explorer::build(const Pending& p) {
  StoredPath path;
  if (compact_) {
    path.labels = p.path;
  } else {
    std::vector<StateId> ids;
    for (StateId s = p.state; s.valid(); s = store_.parent(s)) ids.push_back(s);
    std::reverse(ids.begin(), ids.end());
    path.labels.reserve(ids.size() - 1);
    path.packed.reserve(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (i != 0) path.labels.push_back(store_.label(ids[i]));
      const std::span<const uint8_t> st = store_.state(ids[i]);
      path.packed.emplace_back(st.begin(), st.end());
    }
  }
  return build_violation(ts_, opts_, rules_, path, p.label, p.finding);
}

SpecResult Explorer::run() {
  start_ = Clock::now();
  last_clock_ = start_;

  std::vector<uint8_t> initial(store_.state_size());
  ts_.initial_state(initial);
  if (compact_) {
    if (visited_.insert(store_.hash(initial)) == HashSet::Status::Inserted) {
      run_compact_dfs();
    } else {
      stop_ = Stop::MemoryLimit;
    }
  } else if (const StateStore::InsertResult r = store_.insert(
                 std::span<const uint8_t>(packed_.data(), ts_.pack(initial, packed_.data())),
                 StateId::none(), Label{});
             r.status == StateStore::Status::Inserted) {
    if (dfs_) {
      run_dfs();
    } else if (opts_.threads > 1 && init_clones()) {
      run_parallel_bfs();
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
  run_liveness(out);
  if (!out.violations.empty()) {
    out.verdict = Verdict::Violation;
  } else if (!out.incomplete_reason.empty()) {
    out.verdict = Verdict::Incomplete;
  } else {
    out.verdict = Verdict::Pass;
  }
  out.stats.states = stored();
  out.stats.hash_compaction = compact_;
  out.stats.transitions = transitions_;
  out.stats.reduced = reduced_;
  out.stats.max_depth = max_depth_;
  out.stats.state_bytes = static_cast<uint32_t>(store_.state_size());
  out.stats.packed_bytes =
      compact_ || store_.size() == 0
          ? out.stats.state_bytes
          : static_cast<uint32_t>((store_.state_bytes() + store_.size() - 1) / store_.size());
  out.stats.peak_memory_bytes =
      std::max({peak_bytes_, memory_bytes(),
                compact_ ? visited_.peak_memory_bytes() : store_.peak_memory_bytes()});
  out.stats.peak_memory_bytes = std::max(out.stats.peak_memory_bytes, liveness_peak_);
  out.stats.seconds = seconds_between(start_, Clock::now());
  return out;
}

void Explorer::run_liveness(SpecResult& out) {
  if (!opts_.liveness) return;
  out.liveness = LivenessRun::NotChecked;
  if (compact_) {
    out.liveness_note = "hash compaction keeps no graph to look for cycles in";
    return;
  }
  if (stop_ != Stop::None) {
    out.liveness_note = stop_ == Stop::Violation ? "the search stopped at its first violation"
                                                 : "the search did not finish";
    return;
  }
  LivenessBudget budget;
  // --max-states bounds the states held: the stored ones and the cycle analysis's together.
  budget.max_states =
      opts_.max_states == 0
          ? 0
          : std::max<uint64_t>(1, opts_.max_states - std::min(opts_.max_states, store_.size()));
  budget.max_bytes = max_bytes_ == 0 ? 0 : max_bytes_ - std::min(max_bytes_, memory_bytes());
  budget.stop = [this]() -> std::string {
    return limit_reached(0) ? stop_reason() + ", in the cycle analysis" : std::string();
  };
  LivenessResult l = check_liveness(ts_, opts_, store_, edges_, rules_, budget);
  out.liveness = LivenessRun::Checked;
  out.stats.cyclic_states = l.cyclic_states;
  out.stats.concrete_states = l.concrete_states;
  liveness_peak_ = memory_bytes() + l.peak_bytes;
  for (Violation& v : l.violations) out.violations.push_back(std::move(v));
  out.incomplete_reason = l.incomplete_reason;
}

}  // namespace

SpecResult explore(TransitionSystem& ts, const CheckOptions& opts) {
  Explorer e(ts, opts);
  return e.run();
}

}  // namespace cc
