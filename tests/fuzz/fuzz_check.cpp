// libFuzzer target over the whole check path: arbitrary bytes -> front end -> explorer (small
// state and time limits, the mode chosen by the first byte) -> reference-executor replay of
// every counterexample. Spec errors and incomplete verdicts are fine; an internal error (an
// exception out of check_spec: a counterexample the reference executor does not reproduce, a
// broken invariant) or a crash is a finding. Built with clang by tests/fuzz/CMakeLists.txt;
// the same file builds a plain replay driver (CC_FUZZ_REPLAY) run over the corpus and
// tests/fuzz/check_regressions/ as an ordinary test.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "checker/check.h"
#include "model/frontend.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  // Specs are small; the fuzzer should explore shapes, not sizes.
  if (size > 16 * 1024) return 0;
  cc::SourceManager sm;
  const cc::FileId file =
      sm.add("fuzz.spec", std::string(reinterpret_cast<const char*>(data), size));
  cc::Diagnostics diags;
  auto spec = cc::parse_spec(sm, file, diags);
  if (!spec || diags.has_errors() || !cc::check_spec(*spec, sm, cc::Defines{}, diags)) return 0;
  const uint8_t mode = size > 0 ? data[size - 1] : 0;
  cc::CheckOptions o;
  o.search = (mode & 1) != 0 ? cc::SearchOrder::Dfs : cc::SearchOrder::Bfs;
  o.por = (mode & 2) == 0;
  o.symmetry = (mode & 4) == 0;
  o.hash_compaction = (mode & 8) != 0;
  o.all = (mode & 16) != 0;
  o.max_states = 3'000;
  o.max_memory_mb = 512;
  o.time_limit_s = 2;
  o.z3_timeout_ms = 1'000;
  try {
    const cc::SpecResult r = cc::check_spec(*spec, sm, o);
    for (const cc::Violation& v : r.violations) {
      if (v.trace.empty() && v.violating_step) std::abort();  // a violating step it lacks
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "internal error: %s\n", e.what());
    std::abort();
  }
  return 0;
}

#ifdef CC_FUZZ_REPLAY
#include "tests/fuzz/replay_main.h"
#endif
