#include "checker/result.h"

#define XXH_INLINE_ALL  // header-only: the fuzz targets link this file without libxxhash
#include <xxhash.h>

#include <algorithm>

#include <fmt/format.h>

namespace cc {

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Pass:
      return "pass";
    case Verdict::Violation:
      return "violation";
    case Verdict::Incomplete:
      return "incomplete";
    case Verdict::Error:
      return "error";
  }
  return "?";
}

std::string spec_content_hash(std::string_view bytes) {
  return fmt::format("xxh64:{:016x}", XXH64(bytes.data(), bytes.size(), 0));
}

bool search_incomplete(const SpecResult& r) {
  if (r.verdict == Verdict::Incomplete) return true;
  return r.verdict == Verdict::Violation && !r.incomplete_reason.empty();
}

double omission_probability(const Stats& st) {
  if (!st.hash_compaction) return 0.0;
  const double n = static_cast<double>(st.states);
  return std::min(1.0, n * n / 36893488147419103232.0);  // 2^65
}

}  // namespace cc
