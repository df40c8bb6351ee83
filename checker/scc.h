// Strongly connected components with an explicit stack (Tarjan's algorithm, iterative): no
// recursion, flat arrays, so a graph of millions of states cannot overflow the call stack.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace cc {

/// Reusable working memory of scc_pass (kept between calls to avoid reallocation).
struct SccScratch {
  std::vector<uint32_t> index;  ///< per node: discovery number + 1 (0 = not visited)
  std::vector<uint32_t> low;    ///< per node: lowest discovery number reachable
  std::vector<uint8_t> on;      ///< per node: on the component stack
  std::vector<uint32_t> stack;  ///< the component stack
  struct Frame {
    uint32_t node;
    uint32_t next;  ///< next edge to look at
  };
  std::vector<Frame> call;  ///< the DFS stack
  std::vector<uint32_t> members;
  /// Bytes held.
  uint64_t bytes() const {
    return index.capacity() * 4 + low.capacity() * 4 + on.capacity() + stack.capacity() * 4 +
           call.capacity() * sizeof(Frame) + members.capacity() * 4;
  }
};

/// Calls `emit(members)` once per SCC of the graph over the nodes [0, n) with
/// `allowed(v)`, whose successors are `out(v)` (a span of node numbers; successors that are
/// not allowed are ignored), in reverse topological order. `poll()` is called every 4096
/// nodes; returning true stops the pass (the function then returns false).
template <typename Allowed, typename Out, typename Emit, typename Poll>
bool scc_pass(uint32_t n, SccScratch& w, Allowed&& allowed, Out&& out, Emit&& emit, Poll&& poll) {
  w.index.assign(n, 0);
  w.low.assign(n, 0);
  w.on.assign(n, 0);
  w.stack.clear();
  w.call.clear();
  uint32_t counter = 0;
  for (uint32_t root = 0; root < n; ++root) {
    if (w.index[root] != 0 || !allowed(root)) continue;
    const auto visit = [&](uint32_t v) {
      w.index[v] = w.low[v] = ++counter;
      w.on[v] = 1;
      w.stack.push_back(v);
      w.call.push_back({v, 0});
    };
    visit(root);
    while (!w.call.empty()) {
      SccScratch::Frame& f = w.call.back();
      const uint32_t v = f.node;
      const std::span<const uint32_t> succ = out(v);
      if (f.next < succ.size()) {
        const uint32_t x = succ[f.next++];
        if (!allowed(x)) continue;
        if (w.index[x] == 0) {
          if ((counter & 4095U) == 0 && poll()) return false;
          visit(x);
        } else if (w.on[x] != 0) {
          w.low[v] = std::min(w.low[v], w.index[x]);
        }
        continue;
      }
      w.call.pop_back();
      if (!w.call.empty()) {
        const uint32_t parent = w.call.back().node;
        w.low[parent] = std::min(w.low[parent], w.low[v]);
      }
      if (w.low[v] != w.index[v]) continue;
      w.members.clear();
      uint32_t x = 0;
      do {
        x = w.stack.back();
        w.stack.pop_back();
        w.on[x] = 0;
        w.members.push_back(x);
      } while (x != v);
      emit(std::span<const uint32_t>(w.members));
    }
  }
  return true;
}

}  // namespace cc
