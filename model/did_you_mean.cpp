#include "model/did_you_mean.h"

#include <algorithm>

#include <fmt/format.h>

namespace cc {
namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
  std::size_t n = a.size();
  std::size_t m = b.size();
  std::size_t diff = n > m ? n - m : m - n;
  if (diff > limit) return limit + 1;
  // Three rolling rows: i-2, i-1, i.
  std::vector<std::size_t> prev2(m + 1), prev(m + 1), row(m + 1);
  for (std::size_t j = 0; j <= m; ++j) prev[j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    row[0] = i;
    std::size_t row_min = row[0];
    for (std::size_t j = 1; j <= m; ++j) {
      std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      std::size_t v = std::min({prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1])) {
        v = std::min(v, prev2[j - 2] + 1);
      }
      row[j] = v;
      row_min = std::min(row_min, v);
    }
    if (row_min > limit) return limit + 1;
    std::swap(prev2, prev);
    std::swap(prev, row);
  }
  return std::min(prev[m], limit + 1);
}

std::size_t suggestion_limit(std::size_t length) {
  if (length <= 2) return 0;
  if (length <= 4) return 1;
  if (length <= 8) return 2;
  return 3;
}

void Suggester::add(std::string_view name) {
  if (!name.empty()) names_.emplace_back(name);
}

std::string Suggester::best(std::string_view word) const {
  if (word.empty() || word.size() > 256) return {};
  std::size_t limit = suggestion_limit(word.size());
  std::size_t best_distance = limit + 1;
  const std::string* best_name = nullptr;
  for (const std::string& name : names_) {
    if (name == word) continue;
    std::size_t d = edit_distance(word, name, limit);
    if (d > limit || d >= name.size()) continue;
    if (d < best_distance) {
      best_distance = d;
      best_name = &name;
    }
  }
  return best_name ? *best_name : std::string();
}

std::string Suggester::hint(std::string_view word) const {
  return did_you_mean(best(word));
}

std::string did_you_mean(std::string_view suggestion) {
  if (suggestion.empty()) return {};
  return fmt::format("did you mean '{}'?", suggestion);
}

}  // namespace cc
