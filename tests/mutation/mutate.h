// Semantic mutants of spec texts for the mutation campaign (tests/mutation/campaign.cpp):
// token-level edits that keep most mutants inside the language (flipped comparisons and
// booleans, swapped statuses and APIs, deleted, duplicated and swapped statements, conditions
// made nondeterministic, queue kinds exchanged). docs/reliability.md, "Mutation campaign".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cc::mutation {

/// A deterministic 64-bit generator (splitmix64): the same seed gives the same campaign.
class Rng {
 public:
  /// Starts the sequence at `seed`.
  explicit Rng(uint64_t seed) : state_(seed) {}
  /// The next 64-bit value.
  uint64_t next();
  /// A value in [0, n); n must be positive.
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(next() % n); }

 private:
  uint64_t state_;
};

/// One mutant: the edited text and what was done ("flip == to != at 12:7").
struct Mutant {
  std::string text;
  std::string what;
};

/// Applies one randomly chosen mutation operator to `text` (a spec named `name`, for the
/// description). Returns false when the chosen operator found no place to apply (the caller
/// draws again).
bool mutate(const std::string& name, const std::string& text, Rng& rng, Mutant& out);

/// The names of the mutation operators, in the order `mutate` numbers them.
const std::vector<std::string>& operator_names();

}  // namespace cc::mutation
