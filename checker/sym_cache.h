// Solver answers and the cache of answers by canonical path condition (no Z3 types here).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/sym.h"

namespace cc {

/// Outcome of a satisfiability query.
enum class SatKind : uint8_t {
  Sat,      ///< satisfiable
  Unsat,    ///< unsatisfiable
  Unknown,  ///< undecided (timeout, resource limit, solver error): an incomplete result
};

/// "sat" / "unsat" / "unknown".
std::string_view sat_kind_name(SatKind k);

/// A solver answer. Callers must treat Unknown as incomplete, never as Unsat or Sat.
struct SatAnswer {
  SatKind kind = SatKind::Unknown;
  std::string reason;               ///< why the answer is Unknown (empty otherwise)
  std::optional<Assignment> model;  ///< Sat, when a model was asked for
  bool model_canonical = false;     ///< the model is the lexicographic minimum (see docs)
};

/// Answers keyed by a path condition's canonical serialisation. A hit compares the full
/// serialisation, never just the hash. Thread-safe; may be shared by several solvers.
class SymCache {
 public:
  /// `max_entries` bounds the number of stored answers (0 = unbounded); when full, new
  /// answers are not stored.
  explicit SymCache(std::size_t max_entries = 0) : max_entries_(max_entries) {}
  /// The stored answer for a condition, if any.
  std::optional<SatAnswer> find(uint64_t hash, std::string_view key) const;
  /// Stores (or replaces) the answer for a condition.
  void store(uint64_t hash, std::string key, const SatAnswer& answer);
  /// Number of stored answers.
  std::size_t size() const;
  /// Drops every answer.
  void clear();

 private:
  struct Entry {
    std::string key;
    SatAnswer answer;
  };
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, std::vector<Entry>> map_;
  std::size_t size_ = 0;
  std::size_t max_entries_;
};

}  // namespace cc
