// Explores the bench/specs families at several sizes and reports states, transitions,
// states/s and bytes per stored state as benchmark counters. Run: build/bench/bench/cc_bench
#include <benchmark/benchmark.h>

#include <string>

#include "checker/check.h"
#include "model/frontend.h"

namespace {

void explore_family(benchmark::State& st, const std::string& file) {
  const auto n = st.range(0);
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
    cc::CheckOptions opts;
    opts.max_memory_mb = 16384;
    r = cc::check_spec(*spec, sm, opts);
    benchmark::DoNotOptimize(r.stats.states);
  }
  st.counters["states"] = static_cast<double>(r.stats.states);
  st.counters["transitions"] = static_cast<double>(r.stats.transitions);
  st.counters["states/s"] = benchmark::Counter(static_cast<double>(r.stats.states),
                                               benchmark::Counter::kIsIterationInvariantRate);
  st.counters["state_bytes"] = r.stats.state_bytes;
  st.counters["bytes/state"] =
      r.stats.states ? static_cast<double>(r.stats.peak_memory_bytes) / r.stats.states : 0;
  st.SetLabel(std::string(cc::verdict_name(r.verdict)));
}

}  // namespace

BENCHMARK_CAPTURE(explore_family, independent_requests, "independent_requests.spec")
    ->Arg(2)
    ->Arg(3)
    ->Arg(4)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(explore_family, independent_requests_buggy, "independent_requests_buggy.spec")
    ->Arg(2)
    ->Arg(4)
    ->Arg(6)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(explore_family, lock_contention, "lock_contention.spec")
    ->Arg(2)
    ->Arg(4)
    ->Arg(6)
    ->Arg(7)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(explore_family, lock_contention_buggy, "lock_contention_buggy.spec")
    ->Arg(3)
    ->Arg(6)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

BENCHMARK_MAIN();
