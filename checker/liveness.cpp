// The liveness pass (see liveness.h and docs/liveness.md).
//
// 1. Quotient pass: the SCCs of the stored graph (the search's reduced, canonical graph) with
//    the recorded edges. Only a non-trivial SCC can hold a cycle.
// 2. Cycle analysis, per non-trivial SCC S in order of its first state (shortest stem first):
//    the concrete execution to S's first state, then the concrete states reachable from it
//    whose stored form lies in S, with every concrete successor (no reduction), which actors
//    are enabled and how fair they are. Activity slots and object numbers do not move in a
//    concrete state, so "the same object" is the same slot or number all along.
// 3. Per predicate (some object pending; activity A present and never moving) the fair-SCC
//    refinement (Emerson-Lei): an SCC where a weakly fair actor is enabled in every state and
//    never taken has no fair cycle; one where a strongly fair actor is enabled somewhere and
//    never taken loses the states where it is enabled, and its rest is split again.
// 4. A fair SCC gives a lasso: the shortest stem into it and a cycle through an edge of every
//    actor that moves in it and a state where every other fair actor is disabled; the cycle
//    is checked for fairness, closure and the predicate on the concrete states before it is
//    reported.
#include "checker/liveness.h"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "checker/concretize.h"
#include "checker/scc.h"

namespace cc {

bool EdgeLog::room(std::vector<uint32_t>& v, std::size_t size, std::size_t copies) {
  if (size <= v.capacity()) return true;
  const auto capacity = std::max<std::size_t>({size, 2 * v.capacity(), 1024});
  // While the vector moves, its old and new arrays coexist (and `copies` of them grow at once).
  if (max_bytes_ != 0 && bytes() + copies * capacity * 4 > max_bytes_) return false;
  v.reserve(capacity);
  return true;
}

bool EdgeLog::add(StateId from, StateId to) {
  if (targets_.size() >= kNone - 1) {
    overflow_ = true;
    return true;
  }
  if (!room(targets_, targets_.size() + 1, 1)) return false;
  if (from.value != last_) {
    const std::size_t need = std::size_t(from.value) + 1;
    if (begin_.size() < need) {
      if (!room(begin_, need, 2) || !room(count_, need, 1)) return false;
      begin_.resize(need, kNone);
      count_.resize(need, 0);
    }
    last_ = from.value;
    begin_[from.value] = static_cast<uint32_t>(targets_.size());
  }
  targets_.push_back(to.value);
  ++count_[from.value];
  return true;
}

namespace {

constexpr uint8_t kEnabled = 1;  ///< Graph::flags: the actor has a successor here

/// Where a state's actor flags keep its fairness (bits 1-2).
uint8_t flags_of(bool enabled, Fairness f) {
  return static_cast<uint8_t>((enabled ? kEnabled : 0) | (static_cast<uint8_t>(f) << 1));
}
Fairness fairness_of(uint8_t flags) {
  return static_cast<Fairness>(flags >> 1);
}
/// Enabled and owed a turn (weak or strong).
bool fair_enabled(uint8_t flags) {
  return (flags & kEnabled) != 0 && fairness_of(flags) != Fairness::None;
}
bool strong_enabled(uint8_t flags) {
  return (flags & kEnabled) != 0 && fairness_of(flags) == Fairness::Strong;
}

/// Adjacency in flat arrays: the edges of node v are [begin[v], begin[v + 1]).
struct Csr {
  std::vector<uint32_t> begin{0};
  std::vector<uint32_t> to;
  std::vector<Label> label;
  std::span<const uint32_t> out(uint32_t v) const {
    return {to.data() + begin[v], begin[v + 1] - begin[v]};
  }
};

/// The concrete states of one quotient SCC: node 0 is the concrete state the stem reaches.
struct Graph {
  explicit Graph(std::size_t state_size, uint64_t max_states, uint64_t max_bytes)
      : states(state_size, max_states, max_bytes) {}
  StateStore states;           ///< packed concrete states
  Csr edges;                   ///< every concrete edge between them
  std::vector<uint8_t> flags;  ///< nodes x actors: enabled bit and fairness
  uint32_t actors = 0;
  /// The starvation analysis: what need not happen but stays possible happens eventually
  /// (an activity that waits for an arrival that could still come is idle, not starved).
  bool optional_weak = false;
  uint8_t flag(uint32_t v, uint32_t a) const {
    const uint8_t f = flags[std::size_t(v) * actors + a];
    return optional_weak && fairness_of(f) == Fairness::None
               ? flags_of((f & kEnabled) != 0, Fairness::Weak)
               : f;
  }
  uint64_t bytes() const {
    return states.memory_bytes() + edges.to.capacity() * 8 + edges.begin.capacity() * 4 +
           flags.capacity();
  }
};

/// A predicate of the analysis: the states where it holds and the actor whose edges it
/// leaves out (an activity that must never move), or none.
struct Predicate {
  std::vector<uint8_t> holds;
  std::optional<uint32_t> still;     ///< the activity that stays blocked (CR014)
  RuleId rule = RuleId::Starvation;  ///< pending: the rule of the object that stays pending
};

class Liveness {
 public:
  Liveness(TransitionSystem& ts, const CheckOptions& opts, const StateStore& store,
           const EdgeLog& edges, const std::array<bool, kRuleCount>& checked,
           const LivenessBudget& budget)
      : ts_(ts),
        opts_(opts),
        store_(store),
        edges_(edges),
        checked_(checked),
        budget_(budget),
        full_(ts.state_size()),
        packed_(ts.state_size()) {}

  LivenessResult run();

 private:
  bool checked(RuleId r) const { return checked_[static_cast<std::size_t>(r)]; }
  /// Polls the budget; true (with the reason kept) when the pass must stop.
  bool stopped();
  void note_bytes(uint64_t extra) {
    out_.peak_bytes = std::max(out_.peak_bytes, scratch_.bytes() + comp_.capacity() * 4 + extra);
  }
  /// Step 1: comp_[s] = the index of s's non-trivial SCC (kNone: none); fills cyclic_.
  bool quotient_sccs();
  /// Step 2 for the SCC `c`, for a lost cancel only or for every rule; false when a limit
  /// stopped it.
  bool analyse(uint32_t c, bool lost_cancel_only);
  bool explore_concrete(uint32_t c, Graph& g);
  /// Step 3: a fair SCC of `g` restricted to `p`, or empty.
  std::vector<uint32_t> fair_component(const Graph& g, const Csr& h, const Predicate& p);
  /// Step 4: the lasso through the fair SCC `fair`; false when the predicate does not hold
  /// for one object throughout.
  bool report(const Graph& g, const Csr& h, const Predicate& p, const std::vector<uint32_t>& fair);
  static std::vector<uint32_t> cycle_through(const Graph& g, const Csr& h,
                                             const std::vector<uint32_t>& fair,
                                             std::vector<uint32_t>& edge_ids);
  static void check_fair(const Graph& g, const Csr& h, const std::vector<uint32_t>& nodes,
                         const std::vector<uint32_t>& edge_ids);
  void unpack_node(const Graph& g, uint32_t v, std::vector<uint8_t>& out) const {
    out.resize(ts_.state_size());
    ts_.unpack(g.states.state(StateId{v}), out);
  }

  TransitionSystem& ts_;
  const CheckOptions& opts_;
  const StateStore& store_;
  const EdgeLog& edges_;
  const std::array<bool, kRuleCount>& checked_;
  const LivenessBudget& budget_;
  LivenessResult out_;
  SccScratch scratch_;
  static constexpr uint32_t kNone = UINT32_MAX;
  std::vector<uint32_t> comp_;  ///< per stored state: its non-trivial SCC, kNone
  struct Cyclic {
    uint32_t first;  ///< its smallest state id (BFS: its shallowest state)
    std::vector<uint32_t> members;
  };
  std::vector<Cyclic> cyclic_;
  std::vector<uint8_t> full_;
  std::vector<uint8_t> packed_;
  // The stem of the SCC being analysed: its steps and the concrete state it reaches.
  std::vector<TraceStep> stem_;
  std::map<std::tuple<RuleId, uint32_t, uint32_t, uint32_t>, bool> keys_;
};

bool Liveness::stopped() {
  if (!out_.incomplete_reason.empty()) return true;
  if (budget_.stop) {
    std::string why = budget_.stop();
    if (!why.empty()) {
      out_.incomplete_reason = "liveness: " + why;
      return true;
    }
  }
  return false;
}

bool Liveness::quotient_sccs() {
  const auto n = static_cast<uint32_t>(store_.size());
  comp_.assign(n, kNone);
  const auto emit = [&](std::span<const uint32_t> members) {
    bool cyclic = members.size() > 1;
    if (!cyclic) {
      const std::span<const uint32_t> succ = edges_.out(members[0]);
      cyclic = std::find(succ.begin(), succ.end(), members[0]) != succ.end();
    }
    if (!cyclic) return;
    Cyclic c{*std::min_element(members.begin(), members.end()), {members.begin(), members.end()}};
    std::sort(c.members.begin(), c.members.end());
    for (const uint32_t s : members) comp_[s] = static_cast<uint32_t>(cyclic_.size());
    out_.cyclic_states += members.size();
    cyclic_.push_back(std::move(c));
  };
  const bool done = scc_pass(
      n, scratch_, [](uint32_t) { return true; }, [&](uint32_t v) { return edges_.out(v); }, emit,
      [&] { return stopped(); });
  note_bytes(0);
  return done;
}

bool Liveness::explore_concrete(uint32_t c, Graph& g) {
  ConcreteMode mode(ts_, opts_);
  // The stem: the stored path to the SCC's first state, walked concretely.
  std::vector<std::vector<uint8_t>> canon;
  for (StateId s{cyclic_[c].first}; s.valid(); s = store_.parent(s)) {
    canon.emplace_back(ts_.state_size());
    ts_.unpack(store_.state(s), canon.back());
  }
  std::reverse(canon.begin(), canon.end());
  stem_.clear();
  std::vector<uint8_t> cur;
  concrete_path(ts_, mode, canon, checked_, stem_, cur);

  g.actors = ts_.actors();
  const auto insert = [&](std::span<const uint8_t> state) -> std::optional<uint32_t> {
    const StateStore::InsertResult r =
        g.states.insert({packed_.data(), ts_.pack(state, packed_.data())}, StateId::none(), {});
    if (r.status == StateStore::Status::StateLimit || r.status == StateStore::Status::MemoryLimit) {
      out_.incomplete_reason = fmt::format(
          "liveness: {} limit reached after {} concrete states of the cycle analysis",
          r.status == StateStore::Status::StateLimit ? "state" : "memory", g.states.size());
      return std::nullopt;
    }
    return r.id.value;
  };
  if (!insert(cur)) return false;
  std::vector<uint8_t> state(ts_.state_size());
  std::vector<uint8_t> stored;
  std::vector<uint8_t> stored_packed(ts_.state_size());
  for (uint32_t v = 0; v < g.states.size(); ++v) {
    if (stopped()) return false;
    unpack_node(g, v, state);
    CollectSink sink;
    ts_.successors(state, sink);
    const std::size_t row = g.flags.size();
    g.flags.resize(row + g.actors, 0);
    for (uint32_t a = 0; a < g.actors; ++a)
      g.flags[row + a] = flags_of(false, ts_.fairness(state, a));
    for (const CollectSink::Entry& e : sink.out) {
      if (e.label.actor >= g.actors) {
        throw std::logic_error("liveness: a label names an actor past TransitionSystem::actors()");
      }
      if (ts_.discarded(e.state)) continue;  // an assume() failed: no execution goes there
      g.flags[row + e.label.actor] |= kEnabled;
      if (e.finding && checked(e.finding->rule)) continue;  // a violation, not an edge
      mode.stored_form(e.state, stored);
      const StateId q = store_.find({stored_packed.data(), ts_.pack(stored, stored_packed.data())});
      if (!q.valid() || comp_[q.value] != c) continue;  // leaves the SCC
      const std::optional<uint32_t> w = insert(e.state);
      if (!w) return false;
      g.edges.to.push_back(*w);
      g.edges.label.push_back(e.label);
    }
    g.edges.begin.push_back(static_cast<uint32_t>(g.edges.to.size()));
    note_bytes(g.bytes());
  }
  out_.concrete_states += g.states.size();
  return true;
}

std::vector<uint32_t> Liveness::fair_component(const Graph& g, const Csr& h, const Predicate& p) {
  const auto n = static_cast<uint32_t>(g.states.size());
  std::vector<uint8_t> alive(p.holds);
  std::deque<std::vector<uint32_t>> work;
  std::vector<uint8_t> in(n, 0);
  const auto split = [&](const std::vector<uint8_t>& mask) {
    std::vector<std::vector<uint32_t>> found;
    scc_pass(
        n, scratch_, [&](uint32_t v) { return mask[v] != 0; }, [&](uint32_t v) { return h.out(v); },
        [&](std::span<const uint32_t> m) {
          bool cyclic = m.size() > 1;
          if (!cyclic) {
            const std::span<const uint32_t> succ = h.out(m[0]);
            cyclic = std::find(succ.begin(), succ.end(), m[0]) != succ.end();
          }
          if (!cyclic) return;
          std::vector<uint32_t> s(m.begin(), m.end());
          std::sort(s.begin(), s.end());
          found.push_back(std::move(s));
        },
        [] { return false; });
    std::sort(found.begin(), found.end());  // by first node: the stem gets shortest
    for (auto it = found.rbegin(); it != found.rend(); ++it) work.push_front(std::move(*it));
  };
  split(alive);
  std::vector<uint8_t> taken(g.actors);
  while (!work.empty()) {
    std::vector<uint32_t> comp = std::move(work.front());
    work.pop_front();
    for (const uint32_t v : comp) in[v] = 1;
    std::fill(taken.begin(), taken.end(), 0);
    for (const uint32_t v : comp) {
      for (uint32_t e = h.begin[v]; e < h.begin[v + 1]; ++e) {
        if (in[h.to[e]] != 0) taken[h.label[e].actor] = 1;
      }
    }
    enum class Verdict { Fair, Dead, Refined } verdict = Verdict::Fair;
    for (uint32_t a = 0; a < g.actors && verdict == Verdict::Fair; ++a) {
      if (taken[a] != 0) continue;
      bool weak_all = true;
      bool strong_any = false;
      for (const uint32_t v : comp) {
        weak_all = weak_all && fair_enabled(g.flag(v, a));
        strong_any = strong_any || strong_enabled(g.flag(v, a));
      }
      if (weak_all) {
        verdict = Verdict::Dead;  // every cycle here keeps `a` enabled and never moves it
      } else if (strong_any) {
        // A cycle may only avoid the states where `a` is strongly enabled.
        std::vector<uint8_t> rest(n, 0);
        for (const uint32_t v : comp) rest[v] = strong_enabled(g.flag(v, a)) ? 0 : 1;
        split(rest);
        verdict = Verdict::Refined;
      }
    }
    for (const uint32_t v : comp) in[v] = 0;
    if (verdict == Verdict::Fair) return comp;
  }
  return {};
}

/// The shortest path (edge indices of `h`) from `from` to a node with `goal`, through nodes
/// with `allowed`; nullopt when there is none.
template <typename Allowed, typename Goal>
std::optional<std::vector<uint32_t>> shortest(const Csr& h, uint32_t from, Allowed&& allowed,
                                              Goal&& goal) {
  if (goal(from)) return std::vector<uint32_t>{};
  const auto n = static_cast<uint32_t>(h.begin.size() - 1);
  std::vector<uint32_t> via(n, UINT32_MAX);  // the edge that reached each node
  std::vector<uint8_t> seen(n, 0);
  std::deque<uint32_t> queue{from};
  seen[from] = 1;
  while (!queue.empty()) {
    const uint32_t v = queue.front();
    queue.pop_front();
    for (uint32_t e = h.begin[v]; e < h.begin[v + 1]; ++e) {
      const uint32_t w = h.to[e];
      if (seen[w] != 0 || !allowed(w)) continue;
      seen[w] = 1;
      via[w] = e;
      if (goal(w)) {
        std::vector<uint32_t> path;
        for (uint32_t x = w; x != from;) {
          path.push_back(via[x]);
          // the source of edge via[x]: the node whose edge range holds it
          x = static_cast<uint32_t>(std::upper_bound(h.begin.begin(), h.begin.end(), via[x]) -
                                    h.begin.begin() - 1);
        }
        std::reverse(path.begin(), path.end());
        return path;
      }
      queue.push_back(w);
    }
  }
  return std::nullopt;
}

/// The source node of edge `e` of `h`.
uint32_t source_of(const Csr& h, uint32_t e) {
  return static_cast<uint32_t>(std::upper_bound(h.begin.begin(), h.begin.end(), e) -
                               h.begin.begin() - 1);
}

std::vector<uint32_t> Liveness::cycle_through(const Graph& g, const Csr& h,
                                              const std::vector<uint32_t>& fair,
                                              std::vector<uint32_t>& edge_ids) {
  const auto n = static_cast<uint32_t>(g.states.size());
  std::vector<uint8_t> in(n, 0);
  for (const uint32_t v : fair) in[v] = 1;
  // What the cycle must contain: an edge of every actor that moves inside the component
  // (need 1), and, for every other actor owed a turn somewhere, a state where it is not
  // (need 2). Greedily the nearest step that meets a need, then back to the start.
  std::vector<uint8_t> need(g.actors, 0);
  for (const uint32_t v : fair) {
    for (uint32_t e = h.begin[v]; e < h.begin[v + 1]; ++e) {
      if (in[h.to[e]] != 0) need[h.label[e].actor] = 1;
    }
  }
  for (uint32_t a = 0; a < g.actors; ++a) {
    if (need[a] != 0) continue;
    bool owed_everywhere = true;
    for (const uint32_t v : fair) owed_everywhere = owed_everywhere && fair_enabled(g.flag(v, a));
    bool owed_somewhere = false;
    for (const uint32_t v : fair) owed_somewhere = owed_somewhere || fair_enabled(g.flag(v, a));
    if (owed_everywhere) throw std::logic_error("liveness: an unfair component was kept");
    if (owed_somewhere) need[a] = 2;
  }
  const auto meet_node = [&](uint32_t v) {
    for (uint32_t a = 0; a < g.actors; ++a) {
      if (need[a] == 2 && !fair_enabled(g.flag(v, a))) need[a] = 0;
    }
  };
  const auto meets = [&](uint32_t e) {
    const uint32_t w = h.to[e];
    if (in[w] == 0) return false;
    if (need[h.label[e].actor] == 1) return true;
    for (uint32_t a = 0; a < g.actors; ++a) {
      if (need[a] == 2 && !fair_enabled(g.flag(w, a))) return true;
    }
    return false;
  };
  const uint32_t start = fair.front();
  uint32_t cur = start;
  meet_node(cur);
  std::vector<uint32_t> via(n);
  std::vector<uint8_t> seen(n);
  const auto walk_to = [&](auto&& goal) {
    // Breadth-first from cur inside the component to the first edge with goal(edge).
    std::fill(seen.begin(), seen.end(), 0);
    std::deque<uint32_t> queue{cur};
    seen[cur] = 1;
    while (!queue.empty()) {
      const uint32_t v = queue.front();
      queue.pop_front();
      for (uint32_t e = h.begin[v]; e < h.begin[v + 1]; ++e) {
        const uint32_t w = h.to[e];
        if (in[w] == 0) continue;
        if (goal(e)) {
          std::vector<uint32_t> path{e};
          for (uint32_t x = v; x != cur; x = source_of(h, via[x])) path.push_back(via[x]);
          for (auto it = path.rbegin(); it != path.rend(); ++it) {
            edge_ids.push_back(*it);
            need[h.label[*it].actor] = need[h.label[*it].actor] == 1 ? 0 : need[h.label[*it].actor];
            meet_node(h.to[*it]);
          }
          cur = w;
          return true;
        }
        if (seen[w] != 0) continue;
        seen[w] = 1;
        via[w] = e;
        queue.push_back(w);
      }
    }
    return false;
  };
  while (std::any_of(need.begin(), need.end(), [](uint8_t x) { return x != 0; })) {
    if (!walk_to(meets)) throw std::logic_error("liveness: a need of the cycle cannot be met");
  }
  if (edge_ids.empty() || cur != start) {
    if (!walk_to([&](uint32_t e) { return h.to[e] == start; })) {
      throw std::logic_error("liveness: the fair component is not strongly connected");
    }
  }
  std::vector<uint32_t> nodes;
  nodes.reserve(edge_ids.size());
  for (const uint32_t e : edge_ids) nodes.push_back(source_of(h, e));
  return nodes;
}

void Liveness::check_fair(const Graph& g, const Csr& h, const std::vector<uint32_t>& nodes,
                          const std::vector<uint32_t>& edge_ids) {
  if (edge_ids.empty() || h.to[edge_ids.back()] != nodes.front()) {
    throw std::logic_error("liveness: the cycle does not return to the state where it began");
  }
  for (uint32_t a = 0; a < g.actors; ++a) {
    bool taken = false;
    for (const uint32_t e : edge_ids) taken = taken || h.label[e].actor == a;
    if (taken) continue;
    bool weak_all = true;
    bool strong_any = false;
    for (const uint32_t v : nodes) {
      weak_all = weak_all && fair_enabled(g.flag(v, a));
      strong_any = strong_any || strong_enabled(g.flag(v, a));
    }
    if (weak_all || strong_any) {
      throw std::logic_error(fmt::format("liveness: the cycle is unfair to actor {}", a));
    }
  }
}

bool Liveness::report(const Graph& g, const Csr& h, const Predicate& p,
                      const std::vector<uint32_t>& fair) {
  // The stem inside the concrete graph: from node 0 to the nearest state of the component.
  std::vector<uint8_t> in(g.states.size(), 0);
  for (const uint32_t v : fair) in[v] = 1;
  const std::optional<std::vector<uint32_t>> stem2 = shortest(
      g.edges, 0, [](uint32_t) { return true; }, [&](uint32_t v) { return in[v] != 0; });
  if (!stem2) throw std::logic_error("liveness: the fair component is not reachable");
  const uint32_t entry = stem2->empty() ? 0 : g.edges.to[stem2->back()];
  std::vector<uint32_t> order(fair);
  std::rotate(order.begin(), std::find(order.begin(), order.end(), entry), order.end());
  std::vector<uint32_t> edge_ids;
  const std::vector<uint32_t> nodes = cycle_through(g, h, order, edge_ids);
  check_fair(g, h, nodes, edge_ids);

  // What stays pending or blocked: one object throughout the cycle.
  std::vector<uint8_t> state;
  std::optional<Finding> finding;
  unpack_node(g, entry, state);
  if (p.still) {
    finding = ts_.starving(state, *p.still);
  } else {
    std::vector<Finding> first;
    ts_.pending(state, first);
    for (const Finding& f : first) {
      if (f.rule != p.rule) continue;
      bool throughout = true;
      for (const uint32_t v : nodes) {
        std::vector<Finding> here;
        unpack_node(g, v, state);
        ts_.pending(state, here);
        throughout = throughout && std::any_of(here.begin(), here.end(), [&](const Finding& x) {
                       return x.object == f.object && x.rule == f.rule;
                     });
      }
      if (throughout) {
        finding = f;
        break;
      }
    }
  }
  if (!finding || !checked(finding->rule)) return false;
  const std::tuple key{finding->rule, finding->loc.file.value, finding->loc.line, finding->loc.col};
  if (keys_.contains(key)) return true;
  keys_[key] = true;

  Violation v;
  v.trace = stem_;
  ConcreteMode mode(ts_, opts_);
  std::vector<uint8_t> before;
  std::vector<uint8_t> after(ts_.state_size());
  const auto walk = [&](const Csr& graph, uint32_t e) {
    unpack_node(g, source_of(graph, e), before);
    v.trace.push_back(ts_.describe(before, graph.label[e], after));
    unpack_node(g, graph.to[e], state);
    if (after != state) {
      throw std::logic_error("liveness: describe() disagrees with successors() on the lasso");
    }
  };
  for (const uint32_t e : *stem2) walk(g.edges, e);
  v.loop_start = StepIndex{static_cast<uint32_t>(v.trace.size())};
  for (const uint32_t e : edge_ids) walk(h, e);

  const Explanation ex = ts_.explain(*finding, v.trace);
  v.rule = finding->rule;
  v.message = finding->message;
  v.headline = ex.headline.empty() ? finding->message : ex.headline;
  v.loc = ts_.result_loc(finding->loc);
  v.stays = finding->object;
  v.stays_blocked = p.still.has_value();
  for (const uint32_t s : ex.racing_steps) v.racing_steps.push_back(StepIndex{s});
  out_.violations.push_back(std::move(v));
  return true;
}

bool Liveness::analyse(uint32_t c, bool lost_cancel_only) {
  Graph g(ts_.state_size(), budget_.max_states == 0 ? 0 : budget_.max_states,
          budget_.max_bytes == 0
              ? 0
              : std::max<uint64_t>(
                    1, budget_.max_bytes - std::min(budget_.max_bytes, out_.peak_bytes)));
  if (!explore_concrete(c, g)) return false;
  const auto n = static_cast<uint32_t>(g.states.size());
  std::vector<uint8_t> state;
  // The predicates, in report order: an object pending, then each activity blocked.
  std::vector<Predicate> preds;
  // A lost cancel first: the cancel need not come, but when it came and the object stays
  // pending, that is the finding (as at an end state, where the cancel has always come).
  for (const RuleId rule : {RuleId::LostCancel, RuleId::NeverCompleted}) {
    if (!checked(rule) || (lost_cancel_only && rule != RuleId::LostCancel)) continue;
    Predicate p{std::vector<uint8_t>(n, 0), std::nullopt, rule};
    for (uint32_t v = 0; v < n; ++v) {
      std::vector<Finding> here;
      unpack_node(g, v, state);
      ts_.pending(state, here);
      p.holds[v] =
          std::any_of(here.begin(), here.end(), [rule](const Finding& f) { return f.rule == rule; })
              ? 1
              : 0;
    }
    preds.push_back(std::move(p));
  }
  if (checked(RuleId::Starvation) && !lost_cancel_only) {
    // One predicate per activity slot that some state occupies (environment actors have none).
    std::vector<Predicate> still(g.actors);
    for (uint32_t v = 0; v < n; ++v) {
      unpack_node(g, v, state);
      for (uint32_t a = 0; a < g.actors; ++a) {
        if (!ts_.starving(state, a)) continue;
        if (still[a].holds.empty()) {
          still[a] = Predicate{std::vector<uint8_t>(n, 0), a, RuleId::Starvation};
        }
        still[a].holds[v] = 1;
      }
    }
    for (Predicate& p : still) {
      if (!p.holds.empty()) preds.push_back(std::move(p));
    }
  }
  bool lost_cancel = false;  // reported for this SCC: its objects are not also CR005
  for (const Predicate& p : preds) {
    if (lost_cancel && p.rule == RuleId::NeverCompleted) continue;
    g.optional_weak = p.still.has_value();
    Csr h;
    for (uint32_t v = 0; v < n; ++v) {
      for (uint32_t e = g.edges.begin[v]; e < g.edges.begin[v + 1]; ++e) {
        if (p.still && g.edges.label[e].actor == *p.still) continue;
        h.to.push_back(g.edges.to[e]);
        h.label.push_back(g.edges.label[e]);
      }
      h.begin.push_back(static_cast<uint32_t>(h.to.size()));
    }
    const std::vector<uint32_t> fair = fair_component(g, h, p);
    if (fair.empty()) continue;
    if (!report(g, h, p, fair)) continue;
    lost_cancel = lost_cancel || p.rule == RuleId::LostCancel;
    if (!opts_.all) return true;
  }
  return true;
}

LivenessResult Liveness::run() {
  // A system that names no actors has no fairness to check and nothing pending (the hooks'
  // defaults): there is nothing to look for.
  if (ts_.actors() == 0) return std::move(out_);
  if (edges_.overflow()) {
    out_.incomplete_reason = "liveness: more than 2^32 transitions";
    return std::move(out_);
  }
  if (!quotient_sccs()) return std::move(out_);
  std::sort(cyclic_.begin(), cyclic_.end(),
            [](const Cyclic& a, const Cyclic& b) { return a.first < b.first; });
  for (uint32_t i = 0; i < cyclic_.size(); ++i) {
    for (const uint32_t s : cyclic_[i].members) comp_[s] = i;
  }
  // Without --all one violation is reported: the first lost cancel (a cancel came and the
  // object still stays pending: what an end state reports too, where the cancel has always
  // come), else the first other finding, in order of the SCCs' first states.
  std::optional<Violation> fallback;
  std::vector<uint8_t> state(ts_.state_size());
  for (uint32_t c = 0; c < cyclic_.size(); ++c) {
    const bool lost_cancel_only = !opts_.all && fallback.has_value();
    if (lost_cancel_only && !checked(RuleId::LostCancel)) break;
    // Only an SCC with a pending object (of the rule still looked for) or an activity can
    // violate.
    bool candidate = checked(RuleId::Starvation) && !lost_cancel_only;
    for (std::size_t i = 0; i < cyclic_[c].members.size() && !candidate; ++i) {
      std::vector<Finding> here;
      ts_.unpack(store_.state(StateId{cyclic_[c].members[i]}), state);
      ts_.pending(state, here);
      candidate = std::any_of(here.begin(), here.end(), [&](const Finding& f) {
        return checked(f.rule) && (!lost_cancel_only || f.rule == RuleId::LostCancel);
      });
    }
    if (!candidate) continue;
    if (!analyse(c, lost_cancel_only)) break;
    if (opts_.all || out_.violations.empty()) continue;
    if (out_.violations.back().rule == RuleId::LostCancel) {
      fallback.reset();
      break;
    }
    if (!fallback) fallback = std::move(out_.violations.back());
    out_.violations.clear();
  }
  if (fallback && out_.violations.empty()) out_.violations.push_back(std::move(*fallback));
  return std::move(out_);
}

}  // namespace

LivenessResult check_liveness(TransitionSystem& ts, const CheckOptions& opts,
                              const StateStore& store, const EdgeLog& edges,
                              const std::array<bool, kRuleCount>& checked,
                              const LivenessBudget& budget) {
  Liveness l(ts, opts, store, edges, checked, budget);
  return l.run();
}

}  // namespace cc
