// "Did you mean" suggestions: the closest known name to a misspelled one.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cc {

/// Optimal-string-alignment (Damerau-Levenshtein with adjacent transpositions) distance,
/// ignoring letter case. Stops early and returns limit + 1 once the distance exceeds `limit`.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit);

/// The largest distance still worth suggesting for a word of this length.
std::size_t suggestion_limit(std::size_t length);

/// Collects candidate names and picks the closest one to a misspelling.
class Suggester {
 public:
  /// Adds a candidate (empty names are ignored).
  void add(std::string_view name);
  /// The best candidate within suggestion_limit(word), or empty. Ties go to the candidate
  /// added first; an exact case-insensitive match wins over any edit.
  std::string best(std::string_view word) const;
  /// "did you mean 'X'?" for best(word), or empty.
  std::string hint(std::string_view word) const;

 private:
  std::vector<std::string> names_;
};

/// "did you mean 'X'?" text for a suggestion (empty in, empty out).
std::string did_you_mean(std::string_view suggestion);

}  // namespace cc
