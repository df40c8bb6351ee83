#include "checker/result.h"

#define XXH_INLINE_ALL  // header-only: the fuzz targets link this file without libxxhash
#include <xxhash.h>

#include <algorithm>

#include <fmt/format.h>

namespace cc {

std::string_view liveness_name(LivenessRun l) {
  switch (l) {
    case LivenessRun::Checked:
      return "checked";
    case LivenessRun::Off:
      return "off";
    case LivenessRun::NotChecked:
      return "not checked";
  }
  return "off";
}

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

RunTotals totals(const RunResult& run) {
  RunTotals t;
  for (const SpecResult& s : run.specs) {
    switch (s.verdict) {
      case Verdict::Pass:
        ++t.pass;
        break;
      case Verdict::Violation:
        ++t.violation;
        break;
      case Verdict::Incomplete:
        break;  // counted below, with the violating searches a limit stopped
      case Verdict::Error:
        ++t.error;
        break;
    }
    if (search_incomplete(s)) {
      ++t.incomplete;
      if (s.verdict != Verdict::Incomplete) ++t.incomplete_violating;
    }
    t.violations += s.violations.size();
    for (const Violation& v : s.violations) t.accepted += v.accepted ? 1 : 0;
    t.stats.states += s.stats.states;
    t.stats.transitions += s.stats.transitions;
    t.stats.max_depth = std::max(t.stats.max_depth, s.stats.max_depth);
    t.stats.seconds += s.stats.seconds;
    t.stats.z3_queries += s.stats.z3_queries;
    t.stats.z3_cached += s.stats.z3_cached;
    t.stats.z3_seconds += s.stats.z3_seconds;
  }
  return t;
}

double omission_probability(const Stats& st) {
  if (!st.hash_compaction) return 0.0;
  const double n = static_cast<double>(st.states);
  return std::min(1.0, n * n / 36893488147419103232.0);  // 2^65
}

}  // namespace cc
