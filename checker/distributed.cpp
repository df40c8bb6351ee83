#include "checker/distributed.h"

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "checker/limits.h"
#include "checker/process_memory.h"
#include "checker/progress.h"
#include "checker/reduced_sink.h"
#include "checker/state_store.h"
#include "checker/trace_build.h"
#include "engine/semantics.h"

namespace cc {

uint32_t owner_of(uint64_t hash, uint32_t ranks) {
  // The high half of an odd multiple mixes every bit of the hash; the store's table uses the
  // low bits (slot) and the high 32 bits (tag) of the hash itself, so a rank's states still
  // spread over its whole table.
  const uint64_t mixed = hash * 0x9E3779B97F4A7C15ULL;
  return static_cast<uint32_t>((static_cast<unsigned __int128>(mixed) * ranks) >> 64);
}

namespace {

using Clock = std::chrono::steady_clock;

/// A successor's place in the one-process discovery order: the index of its parent in the
/// parent's level (global over the ranks) and its delivery index among the parent's
/// successors, as (parent << kSuccBits) | successor. An end state's key is (state << kSuccBits).
constexpr unsigned kSuccBits = 24;
constexpr uint64_t kMaxSucc = uint64_t{1} << kSuccBits;
/// Frontier states per rank in one slice (a slice is expanded, exchanged and stored before
/// the next; it bounds the buffered successors).
constexpr uint64_t kSliceStatesPerRank = 2048;

/// Bytes of a successor record before the state: key, parent id, label, hash, size.
constexpr std::size_t kRecordHeader = 8 + 4 + 4 + 8 + 4;
static_assert(sizeof(Label) == 4);

/// A stored state anywhere: its rank and its id in that rank's store.
struct Ref {
  uint32_t rank = UINT32_MAX;
  uint32_t id = UINT32_MAX;
  bool valid() const { return rank != UINT32_MAX; }
  uint64_t bits() const { return (uint64_t{rank} << 32) | id; }
  static Ref from(uint64_t b) {
    return Ref{static_cast<uint32_t>(b >> 32), static_cast<uint32_t>(b)};
  }
};

/// Appends plain values and byte runs to a message.
class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out) : out_(out) {}
  template <typename T>
  void put(const T& v) {
    const std::size_t at = out_.size();
    out_.resize(at + sizeof(T));
    std::memcpy(out_.data() + at, &v, sizeof(T));
  }
  void bytes(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void str(const std::string& s) {
    put(static_cast<uint32_t>(s.size()));
    bytes({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
  }

 private:
  std::vector<uint8_t>& out_;
};

/// Reads what a Writer wrote; a short message is an internal error.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> in) : in_(in) {}
  bool done() const { return pos_ >= in_.size(); }
  template <typename T>
  T get() {
    T v;
    std::memcpy(&v, take(sizeof(T)).data(), sizeof(T));
    return v;
  }
  std::span<const uint8_t> bytes(std::size_t n) { return take(n); }
  std::string str() {
    const auto n = get<uint32_t>();
    const std::span<const uint8_t> b = take(n);
    return {b.begin(), b.end()};
  }

 private:
  std::span<const uint8_t> take(std::size_t n) {
    if (pos_ + n > in_.size()) throw std::logic_error("distributed search: a message ends early");
    const std::span<const uint8_t> s = in_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  std::span<const uint8_t> in_;
  std::size_t pos_ = 0;
};

void put_finding(Writer& w, const Finding& f) {
  w.put(static_cast<uint16_t>(f.rule));
  w.put(f.loc.file.value);
  w.put(f.loc.line);
  w.put(f.loc.col);
  w.str(f.message);
  w.str(f.object);
  w.put(static_cast<uint8_t>(f.waits ? 1 : 0));
}

Finding get_finding(Reader& r) {
  Finding f;
  f.rule = static_cast<RuleId>(r.get<uint16_t>());
  f.loc.file.value = r.get<decltype(f.loc.file.value)>();
  f.loc.line = r.get<uint32_t>();
  f.loc.col = r.get<uint32_t>();
  f.message = r.str();
  f.object = r.str();
  f.waits = r.get<uint8_t>() != 0;
  return f;
}

/// What a rank found while expanding a level: a violating transition, an end-state finding or
/// an exception of the transition system.
struct Found {
  enum class Kind : uint8_t { Transition, End, Error };
  uint64_t key = 0;
  Kind kind = Kind::Transition;
  Ref at;  ///< the state before the transition, or the end state
  Label label;
  Finding finding;
  bool model_limit = false;  ///< Error: the exception was a ModelLimit
  std::string error;         ///< Error: its message
};

/// A violation kept for the report (as the explorer's record() keeps them).
struct Pending {
  Ref at;
  std::optional<Label> label;
  Finding finding;
  uint32_t length = 0;
};

/// Why the search ended early.
enum class Stop : uint8_t { None, StateLimit, MemoryLimit, TimeLimit, Interrupted, Violation };

/// Per-slice flags, combined with Max over the ranks.
enum Flag : std::size_t { FlagMemory, FlagInterrupt, FlagTime, FlagError, FlagEndFound, FlagCount };

class Distributed final : public SuccessorSink {
 public:
  Distributed(TransitionSystem& ts, const CheckOptions& opts, Comm& comm)
      : ts_(ts),
        opts_(opts),
        comm_(comm),
        me_(comm.rank().value),
        ranks_(comm.size()),
        max_bytes_(opts.max_memory_mb << 20),
        store_(ts.state_size(), 0, max_bytes_),
        full_(ts.state_size()),
        packed_(ts.state_size()) {
    if (opts.rules.empty()) {
      rules_.fill(true);
    } else {
      for (const RuleId r : opts.rules) rules_.at(static_cast<std::size_t>(r)) = true;
    }
    if (opts.progress && me_ == 0) progress_.emplace(stderr);
    out_.resize(ranks_);
    in_.resize(ranks_);
  }

  SpecResult run();

  void on_successor(Label label, std::span<const uint8_t> state, const Finding* finding) override {
    const std::span<const uint8_t> packed(packed_.data(), ts_.pack(state, packed_.data()));
    deliver(label, packed, store_.hash(packed), finding);
  }

 private:
  bool checked(RuleId r) const { return rules_[static_cast<std::size_t>(r)]; }
  /// One delivered successor of the state being expanded (already packed and hashed).
  void deliver(Label label, std::span<const uint8_t> packed, uint64_t hash, const Finding* f);
  void start();  ///< stores the initial state at its owner: level 0
  /// Expands the current level slice by slice; false when a limit or flag ended it early.
  bool expand_level();
  /// Persistent sets of frontier states [i, j) and, with the other ranks, their cycle proviso.
  void reduce_slice(std::size_t i, std::size_t j);
  void expand_slice(std::size_t i, std::size_t j);
  void store_received();  ///< the exchanged successors: new ones stored, least key first
  /// The level's findings, in key order on every rank, through the explorer's record() rules.
  void decide_level();
  void record(const Pending& p);
  void count_level();    ///< adds the level's counts up to the stop point
  void next_frontier();  ///< the states stored in this level, ranked globally
  void fetch_paths(std::vector<StoredPath>& paths);
  bool limits_hit(std::array<uint64_t, FlagCount>& flags);
  std::string stop_reason() const;
  uint64_t reduced_bytes() const {
    uint64_t n = 0;
    for (const ReducedSink& r : red_) n += r.bytes();
    return n;
  }
  uint64_t memory_bytes() const {
    uint64_t buffers = 0;
    for (const auto& b : out_) buffers += b.capacity();
    for (const auto& b : in_) buffers += b.capacity();
    return store_.memory_bytes() + parent_.capacity() * 8 + new_keys_.capacity() * 8 +
           gidx_.capacity() * 8 + delivered_.capacity() * 4 + buffers + reduced_bytes();
  }

  TransitionSystem& ts_;
  const CheckOptions& opts_;
  Comm& comm_;
  const uint32_t me_;
  const uint32_t ranks_;
  const uint64_t max_bytes_;
  StateStore store_;
  std::array<bool, kRuleCount> rules_{};
  std::optional<ProgressLine> progress_;
  Clock::time_point start_;

  std::vector<uint64_t> parent_;  ///< per local id: the Ref bits of its parent
  // The frontier (level depth_): local ids [level_begin_, level_end_), their global level
  // indices, and per state what its expansion delivered.
  uint64_t level_begin_ = 0;
  uint64_t level_end_ = 0;
  uint64_t level_width_ = 0;  ///< global
  uint32_t depth_ = 0;
  std::vector<uint64_t> gidx_;
  std::vector<uint32_t> delivered_;
  std::vector<uint8_t> reduced_flag_;
  std::vector<uint64_t> new_keys_;  ///< keys of the states stored in this level, in id order
  std::vector<Found> found_here_;   ///< this level's findings on this rank

  // The state being expanded.
  uint64_t cur_gidx_ = 0;
  uint32_t cur_id_ = 0;
  uint32_t cur_delivered_ = 0;
  std::vector<uint8_t> full_;
  std::vector<uint8_t> packed_;
  bool failed_ = false;  ///< an expansion on this rank threw: expand no more

  // Partial-order reduction of a slice: per state, its persistent set (packed and hashed as
  // the store takes them) and whether it is taken (1: it exists and the proviso holds).
  std::vector<ReducedSink> red_;
  std::vector<uint8_t> red_ok_;

  std::vector<std::vector<uint8_t>> out_;
  std::vector<std::vector<uint8_t>> in_;
  /// A received successor not stored yet: the least key seen for it in this slice.
  struct Cand {
    uint64_t key;
    uint64_t parent;
    Label label;
    uint64_t hash;
    const uint8_t* bytes;
    uint32_t size;
  };
  std::vector<Cand> cands_;
  std::vector<uint32_t> table_;

  // Decisions (the same on every rank).
  std::vector<Pending> found_;
  std::map<std::tuple<RuleId, uint32_t, uint32_t, uint32_t>, std::size_t> by_key_;
  bool count_only_ = false;
  bool stop_now_ = false;
  uint64_t store_limit_key_ = UINT64_MAX;  ///< states with a smaller key count
  uint64_t parent_limit_ = UINT64_MAX;     ///< transitions of parents up to this index count
  Stop stop_ = Stop::None;
  uint64_t states_ = 0;
  uint64_t transitions_ = 0;
  uint64_t reduced_ = 0;
  uint32_t max_depth_ = 0;
  uint64_t counted_bytes_ = 0;  ///< bytes of the counted states (all ranks)
  uint64_t peak_ = 0;
};

void Distributed::deliver(Label label, std::span<const uint8_t> packed, uint64_t hash,
                          const Finding* f) {
  const uint32_t sidx = cur_delivered_++;
  if (sidx >= kMaxSucc) throw ModelLimit("a state with more than 16,777,215 successors");
  const uint64_t key = (cur_gidx_ << kSuccBits) | sidx;
  if (f != nullptr && checked(f->rule)) {
    Found x;
    x.key = key;
    x.kind = Found::Kind::Transition;
    x.at = Ref{me_, cur_id_};
    x.label = label;
    x.finding = *f;
    found_here_.push_back(std::move(x));
    return;
  }
  // One record, [key][parent id][label][hash][size][bytes] (store_received() reads it), written
  // with one resize: this runs once per transition.
  std::vector<uint8_t>& out = out_[owner_of(hash, ranks_)];
  const auto size = static_cast<uint32_t>(packed.size());
  std::size_t at = out.size();
  out.resize(at + kRecordHeader + size);
  const auto put = [&](const void* p, std::size_t n) {
    std::memcpy(out.data() + at, p, n);
    at += n;
  };
  put(&key, 8);
  put(&cur_id_, 4);
  put(&label, 4);
  put(&hash, 8);
  put(&size, 4);
  if (size != 0) put(packed.data(), size);
}

void Distributed::start() {
  std::vector<uint8_t> initial(ts_.state_size());
  ts_.initial_state(initial);
  const std::span<const uint8_t> packed(packed_.data(), ts_.pack(initial, packed_.data()));
  const uint64_t hash = store_.hash(packed);
  if (owner_of(hash, ranks_) == me_) {
    const StateStore::InsertResult r = store_.insert_hashed(packed, hash, StateId::none(), Label{});
    if (r.status != StateStore::Status::Inserted) throw ModelLimit("no room for the initial state");
    parent_.push_back(UINT64_MAX);
    gidx_.push_back(0);
  }
  level_begin_ = 0;
  level_end_ = store_.size();
  level_width_ = 1;
  states_ = 1;
  counted_bytes_ = packed.size();
}

bool Distributed::limits_hit(std::array<uint64_t, FlagCount>& flags) {
  const uint64_t mem = memory_bytes();
  peak_ = std::max(peak_, mem);
  if (max_bytes_ != 0 && mem > max_bytes_) flags[FlagMemory] = 1;
  if (opts_.limit_process_memory && max_bytes_ != 0 && process_resident_bytes() > max_bytes_) {
    flags[FlagMemory] = 1;
  }
  if (opts_.interrupt != nullptr && opts_.interrupt->load(std::memory_order_relaxed)) {
    flags[FlagInterrupt] = 1;
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  if (me_ == 0 && opts_.time_limit_s > 0 && elapsed >= opts_.time_limit_s) flags[FlagTime] = 1;
  if (failed_) flags[FlagError] = 1;
  comm_.allreduce(flags, ReduceOp::Max);
  std::array<uint64_t, 2> sums{store_.size(), mem};
  comm_.allreduce(sums, ReduceOp::Sum);
  if (progress_) {
    progress_->update({elapsed, sums[0], depth_ + 1, level_width_, sums[1]});
  }
  if (flags[FlagMemory] != 0) {
    stop_ = Stop::MemoryLimit;
  } else if (flags[FlagInterrupt] != 0) {
    stop_ = Stop::Interrupted;
  } else if (flags[FlagTime] != 0) {
    stop_ = Stop::TimeLimit;
  } else if (opts_.max_states != 0 && sums[0] > opts_.max_states) {
    stop_ = Stop::StateLimit;
  }
  return stop_ != Stop::None;
}

void Distributed::reduce_slice(std::size_t i, std::size_t j) {
  while (red_.size() < j - i) red_.emplace_back(&ts_);
  red_ok_.assign(j - i, 0);
  for (auto& b : out_) b.clear();
  std::vector<std::vector<uint32_t>> asked(ranks_);  // per rank: the slice state of each query
  for (std::size_t k = i; k < j && !failed_; ++k) {
    ReducedSink& red = red_[k - i];
    red.clear();
    try {
      ts_.unpack(store_.state(StateId{static_cast<uint32_t>(level_begin_ + k)}), full_);
      red_ok_[k - i] = ts_.persistent_successors(full_, red) ? 1 : 0;
    } catch (...) {
      red_ok_[k - i] = 0;  // the full expansion meets the error again
    }
    if (red_ok_[k - i] == 0) continue;
    red.for_each([&](Label, std::span<const uint8_t> packed, uint64_t hash, const Finding* f) {
      if (f != nullptr) return;  // findings are never stored: the proviso skips them
      const uint32_t dest = owner_of(hash, ranks_);
      Writer w(out_[dest]);
      w.put(hash);
      w.put(static_cast<uint32_t>(packed.size()));
      w.bytes(packed);
      asked[dest].push_back(static_cast<uint32_t>(k - i));
    });
  }
  comm_.alltoallv(out_, in_);
  // Answer: 1 when the state is stored at the current depth or shallower.
  for (uint32_t r = 0; r < ranks_; ++r) {
    out_[r].clear();
    Reader rd(in_[r]);
    while (!rd.done()) {
      const auto hash = rd.get<uint64_t>();
      const auto size = rd.get<uint32_t>();
      const StateId id = store_.find_hashed(rd.bytes(size), hash);
      out_[r].push_back(id.valid() && id.value < level_end_ ? 1 : 0);
    }
  }
  comm_.alltoallv(out_, in_);
  for (uint32_t r = 0; r < ranks_; ++r) {
    if (in_[r].size() != asked[r].size()) {
      throw std::logic_error("distributed search: proviso answers do not match the questions");
    }
    for (std::size_t q = 0; q < asked[r].size(); ++q) {
      if (in_[r][q] != 0) red_ok_[asked[r][q]] = 0;
    }
  }
}

void Distributed::expand_slice(std::size_t i, std::size_t j) {
  for (auto& b : out_) b.clear();
  for (std::size_t k = i; k < j && !failed_; ++k) {
    cur_id_ = static_cast<uint32_t>(level_begin_ + k);
    cur_gidx_ = gidx_[k];
    cur_delivered_ = 0;
    try {
      ts_.unpack(store_.state(StateId{cur_id_}), full_);
      const std::span<const uint8_t> state = full_;
      bool reduced = false;
      if (opts_.por && red_ok_[k - i] != 0) {
        reduced = true;
        red_[k - i].for_each([this](Label l, std::span<const uint8_t> packed, uint64_t hash,
                                    const Finding* f) { deliver(l, packed, hash, f); });
      } else {
        ts_.successors(state, *this);
      }
      delivered_[k] = cur_delivered_;
      reduced_flag_[k] = reduced ? 1 : 0;
      if (cur_delivered_ == 0) {
        if (const std::optional<Finding> f = ts_.end_state(state); f && checked(f->rule)) {
          Found x;
          x.key = cur_gidx_ << kSuccBits;
          x.kind = Found::Kind::End;
          x.at = Ref{me_, cur_id_};
          x.finding = *f;
          found_here_.push_back(std::move(x));
        }
      }
    } catch (const std::exception& e) {
      Found x;
      x.key = (cur_gidx_ << kSuccBits) | std::min<uint64_t>(cur_delivered_, kMaxSucc - 1);
      x.kind = Found::Kind::Error;
      x.model_limit = dynamic_cast<const ModelLimit*>(&e) != nullptr;
      x.error = e.what();
      found_here_.push_back(std::move(x));
      failed_ = true;
    }
  }
  comm_.alltoallv(out_, in_);
}

void Distributed::store_received() {
  std::vector<Cand>& cands = cands_;      // kept between slices: no fresh pages to fault in
  std::vector<uint32_t>& table = table_;  // open addressing over cands (index + 1)
  cands.clear();
  // Room for every record at load 1/2, no growth.
  std::size_t bytes = 0;
  for (const auto& b : in_) bytes += b.size();
  std::size_t mask = std::bit_ceil(std::max<std::size_t>(32, bytes / kRecordHeader)) - 1;
  const auto grow = [&] {
    const std::size_t cap = (mask + 1) * 2;
    table.assign(cap, 0);
    mask = cap - 1;
    for (std::size_t c = 0; c < cands.size(); ++c) {
      std::size_t s = cands[c].hash & mask;
      while (table[s] != 0) s = (s + 1) & mask;
      table[s] = static_cast<uint32_t>(c + 1);
    }
  };
  grow();
  for (uint32_t r = 0; r < ranks_; ++r) {
    Reader rd(in_[r]);
    while (!rd.done()) {
      Cand c;
      c.key = rd.get<uint64_t>();
      c.parent = Ref{r, rd.get<uint32_t>()}.bits();
      c.label = rd.get<Label>();
      c.hash = rd.get<uint64_t>();
      c.size = rd.get<uint32_t>();
      const std::span<const uint8_t> bytes = rd.bytes(c.size);
      c.bytes = bytes.data();
      if (store_.find_hashed(bytes, c.hash).valid()) continue;  // known
      std::size_t s = c.hash & mask;
      bool merged = false;
      for (; table[s] != 0; s = (s + 1) & mask) {
        Cand& o = cands[table[s] - 1];
        if (o.hash == c.hash && o.size == c.size &&
            (c.size == 0 || std::memcmp(o.bytes, c.bytes, c.size) == 0)) {
          if (c.key < o.key) o = c;  // the first delivery in the one-process order wins
          merged = true;
          break;
        }
      }
      if (merged) continue;
      cands.push_back(c);
      table[s] = static_cast<uint32_t>(cands.size());
      if (cands.size() * 2 > mask) grow();
    }
  }
  std::sort(cands.begin(), cands.end(), [](const Cand& a, const Cand& b) { return a.key < b.key; });
  for (const Cand& c : cands) {
    const StateStore::InsertResult r =
        store_.insert_hashed({c.bytes, c.size}, c.hash, StateId::none(), c.label);
    if (r.status == StateStore::Status::Inserted) {
      parent_.push_back(c.parent);
      new_keys_.push_back(c.key);
    } else {
      if (stop_ == Stop::None) stop_ = Stop::MemoryLimit;  // the store is full
      break;
    }
  }
}

bool Distributed::expand_level() {
  const std::size_t local = level_end_ - level_begin_;
  delivered_.assign(local, 0);
  reduced_flag_.assign(local, 0);
  found_here_.clear();
  const uint64_t slice = kSliceStatesPerRank * ranks_;
  const uint64_t nslices = (level_width_ + slice - 1) / slice;
  std::size_t i = 0;
  for (uint64_t s = 0; s < nslices; ++s) {
    std::size_t j = i;
    while (j < local && gidx_[j] < (s + 1) * slice) ++j;
    if (opts_.por) reduce_slice(i, j);
    expand_slice(i, j);
    store_received();
    i = j;
    std::array<uint64_t, FlagCount> flags{};
    if (stop_ == Stop::MemoryLimit) flags[FlagMemory] = 1;
    for (const Found& f : found_here_) {
      if (f.kind == Found::Kind::End && !opts_.all) flags[FlagEndFound] = 1;
    }
    if (limits_hit(flags)) return false;
    // An error or (first violation only) an end-state finding ends the level: every later
    // slice's keys are larger, so nothing there can come first.
    if (flags[FlagError] != 0 || flags[FlagEndFound] != 0) break;
  }
  return true;
}

void Distributed::record(const Pending& p) {
  if (!opts_.all) {
    if (found_.empty()) {
      found_.push_back(p);
    } else if (p.length < found_.front().length) {
      found_.front() = p;
    } else {
      return;
    }
    if (!p.label) {
      stop_now_ = true;
    } else {
      count_only_ = true;
    }
    return;
  }
  const auto key = std::make_tuple(p.finding.rule, p.finding.loc.file.value, p.finding.loc.line,
                                   p.finding.loc.col);
  const auto [it, fresh] = by_key_.try_emplace(key, found_.size());
  if (fresh) {
    found_.push_back(p);
  } else if (p.length < found_[it->second].length) {
    found_[it->second] = p;
  }
}

void Distributed::decide_level() {
  std::vector<uint8_t> mine;
  Writer w(mine);
  for (const Found& f : found_here_) {
    w.put(f.key);
    w.put(static_cast<uint8_t>(f.kind));
    w.put(f.at.bits());
    w.put(f.label);
    put_finding(w, f.finding);
    w.put(static_cast<uint8_t>(f.model_limit ? 1 : 0));
    w.str(f.error);
  }
  std::vector<std::vector<uint8_t>> all;
  comm_.allgatherv(mine, all);
  std::vector<Found> level;
  for (const auto& bytes : all) {
    Reader r(bytes);
    while (!r.done()) {
      Found f;
      f.key = r.get<uint64_t>();
      f.kind = static_cast<Found::Kind>(r.get<uint8_t>());
      f.at = Ref::from(r.get<uint64_t>());
      f.label = r.get<Label>();
      f.finding = get_finding(r);
      f.model_limit = r.get<uint8_t>() != 0;
      f.error = r.str();
      level.push_back(std::move(f));
    }
  }
  std::sort(level.begin(), level.end(), [](const Found& a, const Found& b) {
    return std::tie(a.key, a.kind) < std::tie(b.key, b.kind);
  });
  for (const Found& f : level) {
    if (f.kind == Found::Kind::Error) {
      if (f.model_limit) throw ModelLimit(f.error);
      throw std::runtime_error(f.error);
    }
    const bool end = f.kind == Found::Kind::End;
    const bool was_stopping = count_only_;
    record(Pending{f.at, end ? std::nullopt : std::optional<Label>(f.label), f.finding,
                   end ? depth_ : depth_ + 1});
    if (!opts_.all && !was_stopping && (count_only_ || stop_now_)) store_limit_key_ = f.key;
    if (stop_now_) {
      parent_limit_ = f.key >> kSuccBits;
      break;
    }
  }
}

void Distributed::count_level() {
  std::array<uint64_t, 4> sums{};  // transitions, reduced, new states, their bytes
  for (std::size_t k = 0; k < delivered_.size(); ++k) {
    if (gidx_[k] > parent_limit_) break;
    sums[0] += delivered_[k];
    sums[1] += reduced_flag_[k];
  }
  for (std::size_t n = 0; n < new_keys_.size(); ++n) {
    if (new_keys_[n] >= store_limit_key_) break;
    ++sums[2];
    sums[3] += store_.state(StateId{static_cast<uint32_t>(level_end_ + n)}).size();
  }
  comm_.allreduce(sums, ReduceOp::Sum);
  transitions_ += sums[0];
  reduced_ += sums[1];
  states_ += sums[2];
  counted_bytes_ += sums[3];
  if (sums[2] != 0) max_depth_ = depth_ + 1;
}

void Distributed::next_frontier() {
  std::vector<uint8_t> mine(new_keys_.size() * sizeof(uint64_t));
  if (!mine.empty()) std::memcpy(mine.data(), new_keys_.data(), mine.size());
  std::vector<std::vector<uint8_t>> all;
  comm_.allgatherv(mine, all);
  // The global index of a state: how many stored states of the level, on any rank, have a
  // smaller key. Every rank's keys are sorted.
  gidx_.assign(new_keys_.size(), 0);
  uint64_t width = 0;
  for (uint32_t r = 0; r < ranks_; ++r) {
    const std::size_t n = all[r].size() / sizeof(uint64_t);
    width += n;
    if (r == me_) {
      for (std::size_t m = 0; m < new_keys_.size(); ++m) gidx_[m] += m;
      continue;
    }
    std::size_t p = 0;
    for (std::size_t m = 0; m < new_keys_.size(); ++m) {
      while (p < n) {
        uint64_t k = 0;
        std::memcpy(&k, all[r].data() + p * sizeof(uint64_t), sizeof k);
        if (k >= new_keys_[m]) break;
        ++p;
      }
      gidx_[m] += p;
    }
  }
  level_begin_ = level_end_;
  level_end_ = store_.size();
  level_width_ = width;
  new_keys_.clear();
  ++depth_;
}

void Distributed::fetch_paths(std::vector<StoredPath>& paths) {
  // Every rank knows the violations (decide_level() ran everywhere), so every rank knows which
  // states are wanted next: one round per step back, all paths at once.
  paths.assign(found_.size(), StoredPath{});
  std::vector<Ref> cur(found_.size());
  for (std::size_t v = 0; v < found_.size(); ++v) cur[v] = found_[v].at;
  for (;;) {
    bool any = false;
    std::vector<uint8_t> mine;
    Writer w(mine);
    for (std::size_t v = 0; v < found_.size(); ++v) {
      if (!cur[v].valid()) continue;
      any = true;
      if (cur[v].rank != me_) continue;
      const StateId id{cur[v].id};
      const std::span<const uint8_t> st = store_.state(id);
      w.put(static_cast<uint32_t>(v));
      w.put(parent_[id.value]);
      w.put(store_.label(id));
      w.put(static_cast<uint32_t>(st.size()));
      w.bytes(st);
    }
    if (!any) break;
    std::vector<std::vector<uint8_t>> all;
    comm_.allgatherv(mine, all);
    for (const auto& bytes : all) {
      Reader r(bytes);
      while (!r.done()) {
        const auto v = r.get<uint32_t>();
        const Ref parent = Ref::from(r.get<uint64_t>());
        const auto label = r.get<Label>();
        const auto size = r.get<uint32_t>();
        const std::span<const uint8_t> st = r.bytes(size);
        if (me_ == 0) {
          paths[v].packed.emplace_back(st.begin(), st.end());
          if (parent.valid()) paths[v].labels.push_back(label);
        }
        cur[v] = parent;
      }
    }
  }
  for (StoredPath& p : paths) {
    std::reverse(p.packed.begin(), p.packed.end());
    std::reverse(p.labels.begin(), p.labels.end());
  }
}

std::string Distributed::stop_reason() const {
  switch (stop_) {
    case Stop::StateLimit:
      return limit_reason(LimitHit::States, opts_, states_, max_depth_);
    case Stop::MemoryLimit:
      return limit_reason(LimitHit::Memory, opts_, states_, max_depth_, " on one of the ranks");
    case Stop::TimeLimit:
      return limit_reason(LimitHit::Time, opts_, states_, max_depth_);
    case Stop::Interrupted:
      return limit_reason(LimitHit::Interrupt, opts_, states_, max_depth_);
    case Stop::None:
    case Stop::Violation:
      break;
  }
  return {};
}

SpecResult Distributed::run() {
  start_ = Clock::now();
  start();
  for (;;) {
    const bool whole = expand_level();
    decide_level();
    if (stop_ != Stop::None) {
      // A limit: everything expanded so far counts.
      store_limit_key_ = UINT64_MAX;
      parent_limit_ = UINT64_MAX;
    }
    count_level();
    if (!whole || stop_ != Stop::None) break;
    if (stop_now_ || count_only_) {
      stop_ = Stop::Violation;
      break;
    }
    uint64_t next = store_.size() - level_end_;
    std::array<uint64_t, 1> total{next};
    comm_.allreduce(total, ReduceOp::Sum);
    if (total[0] == 0) break;  // complete
    next_frontier();
  }
  if (progress_) progress_->finish();

  std::vector<StoredPath> paths;
  fetch_paths(paths);
  SpecResult out;
  if (me_ == 0) {
    for (std::size_t v = 0; v < found_.size(); ++v) {
      out.violations.push_back(
          build_violation(ts_, opts_, rules_, paths[v], found_[v].label, found_[v].finding));
    }
  }
  out.incomplete_reason = stop_reason();
  if (opts_.liveness) {
    out.liveness = LivenessRun::NotChecked;
    out.liveness_note =
        "a distributed search keeps no graph to look for cycles in; run without mpirun to check "
        "liveness";
  }
  if (!found_.empty()) {
    out.verdict = Verdict::Violation;
  } else if (!out.incomplete_reason.empty()) {
    out.verdict = Verdict::Incomplete;
  } else {
    out.verdict = Verdict::Pass;
  }
  std::array<uint64_t, 1> peak{std::max(peak_, store_.peak_memory_bytes())};
  comm_.allreduce(peak, ReduceOp::Max);
  out.stats.states = states_;
  out.stats.transitions = transitions_;
  out.stats.reduced = reduced_;
  out.stats.max_depth = max_depth_;
  out.stats.state_bytes = static_cast<uint32_t>(ts_.state_size());
  out.stats.packed_bytes = states_ == 0
                               ? out.stats.state_bytes
                               : static_cast<uint32_t>((counted_bytes_ + states_ - 1) / states_);
  out.stats.peak_memory_bytes = peak[0];
  out.stats.seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  return out;
}

}  // namespace

SpecResult explore_distributed(TransitionSystem& ts, const CheckOptions& opts, Comm& comm) {
  Distributed d(ts, opts, comm);
  return d.run();
}

}  // namespace cc
