// Explores the bench/specs families at several sizes and in several modes, and reports
// states, transitions, states/s and bytes per stored state as benchmark counters.
// Run: build/bench/bench/cc_bench. Second argument (mode): 0 = defaults (partial-order and
// symmetry reduction, one thread), 1 = no reductions, 2 = no reductions on two threads,
// 3 = no reductions with hash compaction, 4 = symmetry only, 5 = partial-order reduction only,
// 6 = defaults on two threads.
#include <benchmark/benchmark.h>

#include <string>

#include "checker/check.h"
#include "model/frontend.h"

namespace {

/// The options of a benchmark mode (see the file comment).
cc::CheckOptions mode_options(int64_t mode) {
  cc::CheckOptions opts;
  opts.max_memory_mb = 16384;
  opts.symmetry = mode == 0 || mode == 4 || mode == 6;
  opts.por = mode == 0 || mode == 5 || mode == 6;
  opts.threads = mode == 2 || mode == 6 ? 2 : 1;
  opts.hash_compaction = mode == 3;
  return opts;
}

const char* mode_name(int64_t mode) {
  static const char* const names[] = {
      "por+symmetry", "no reductions", "no reductions, 2 threads", "no reductions, hash compaction",
      "symmetry",     "por",           "por+symmetry, 2 threads"};
  return names[mode];
}

void explore_family(benchmark::State& st, const std::string& file) {
  const auto n = st.range(0);
  const auto mode = st.range(1);
  cc::SourceManager sm;
  cc::Diagnostics diags;
  auto spec =
      cc::load_spec(sm, std::string(CC_SOURCE_DIR) + "/bench/specs/" + file, {{"N", n}}, diags);
  if (!spec) {
    st.SkipWithError("spec does not load");
    return;
  }
  cc::SpecResult r;
  for (auto _ : st) {
    r = cc::check_spec(*spec, sm, mode_options(mode));
    benchmark::DoNotOptimize(r.stats.states);
  }
  st.counters["states"] = static_cast<double>(r.stats.states);
  st.counters["transitions"] = static_cast<double>(r.stats.transitions);
  st.counters["states/s"] = benchmark::Counter(static_cast<double>(r.stats.states),
                                               benchmark::Counter::kIsIterationInvariantRate);
  st.counters["state_bytes"] = r.stats.state_bytes;
  st.counters["packed_bytes"] = r.stats.packed_bytes;
  st.counters["bytes/state"] =
      r.stats.states ? static_cast<double>(r.stats.peak_memory_bytes) / r.stats.states : 0;
  st.SetLabel(std::string(cc::verdict_name(r.verdict)) + ", " + mode_name(mode));
}

}  // namespace

BENCHMARK_CAPTURE(explore_family, independent_requests, "independent_requests.spec")
    ->ArgsProduct({{3, 4}, {0, 1, 2, 3, 4, 5}})
    ->ArgsProduct({{6, 8}, {0, 6}})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(explore_family, independent_requests_buggy, "independent_requests_buggy.spec")
    ->ArgsProduct({{2, 4, 6}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(explore_family, lock_contention, "lock_contention.spec")
    ->ArgsProduct({{6, 7}, {0, 1, 2, 3, 4, 5}})
    ->Args({8, 0})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(explore_family, lock_contention_buggy, "lock_contention_buggy.spec")
    ->ArgsProduct({{3, 6}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

BENCHMARK_CAPTURE(explore_family, interrupt_completion, "interrupt_completion.spec")
    ->ArgsProduct({{2}, {0, 1, 4, 5}})
    ->ArgsProduct({{3}, {0, 4, 5}})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(explore_family, interrupt_completion_buggy, "interrupt_completion_buggy.spec")
    ->ArgsProduct({{2, 3}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

BENCHMARK_MAIN();
