// Checking one spec: compile its semantics, explore, collect violations.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "checker/comm.h"
#include "checker/result.h"
#include "model/ast.h"
#include "model/rules.h"
#include "model/source.h"

namespace cc {

/// Search order.
enum class SearchOrder : uint8_t { Bfs, Dfs };

/// Everything that shapes a search. Defaults are safe on a 24 GB machine.
struct CheckOptions {
  SearchOrder search = SearchOrder::Bfs;
  bool all = false;                  ///< keep going: one shortest trace per rule+location
  uint64_t max_states = 50'000'000;  ///< 0 = unlimited
  uint64_t max_memory_mb = 8192;     ///< 0 = unlimited
  /// The memory limit bounds the whole process (its resident set when the search starts is
  /// subtracted from the search's budget, and the resident set is watched while it runs);
  /// false = it bounds only the search's structures (unit tests of the accounting).
  bool limit_process_memory = true;
  double time_limit_s = 0;  ///< 0 = unlimited
  /// When work on the spec began (reading it): time_limit_s counts from here, so loading,
  /// parsing and building the model use up the same budget. Unset = from check_spec's call.
  std::optional<std::chrono::steady_clock::time_point> started;
  unsigned threads = 1;
  /// Keep an 8-byte hash per visited state instead of the state (depth-first, probabilistic:
  /// two states with one hash count as one; the verdict says so). docs/explorer.md.
  bool hash_compaction = false;
  bool por = true;
  bool symmetry = true;
  /// After a complete search, look for fair cycles in which an object stays pending or an
  /// activity stays blocked (CR003, CR005, CR014: docs/liveness.md).
  bool liveness = true;
  std::vector<RuleId> rules;                     ///< rules to check; empty = all
  bool progress = false;                         ///< progress line on stderr
  const std::atomic<bool>* interrupt = nullptr;  ///< set by Ctrl-C: stop and report
  uint32_t z3_timeout_ms = 10'000;  ///< per Z3 call (specs with symbolic data); 0 = none
  uint32_t z3_rlimit = 0;           ///< Z3 resource limit per call (deterministic); 0 = none
  /// The ranks of a distributed search (docs/distributed.md); null or one rank = this process
  /// searches alone. Every rank checks the same specs with the same options.
  Comm* comm = nullptr;
};

/// Explores a checked spec and returns its verdict, statistics and shortest traces.
SpecResult check_spec(const ast::Spec& spec, const SourceManager& sm, const CheckOptions& opts);

}  // namespace cc
