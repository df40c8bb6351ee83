#!/usr/bin/env bash
# Install what is missing, build with -Werror, and run the whole test suite. Fails on any failure.
# Then the same suite under ASan+UBSan (preset asan), without the browser/schema tests (they
# test the report files, not memory safety, and are slow) and without the libFuzzer runs
# (the asan preset does not build them; they are ASan+UBSan builds of their own), without
# the two Differential tests (about 250 s and 190 s under ASan; they run in the ci step), and
# without the two tests of whole-process behaviour under signals and memory limits
# (OutputSafety.SigkillAtAnyMoment*, HostileSpecs.MemoryLimit*: 86 s and 33 s under ASan, whose
# shadow memory also distorts the resident set they measure; they run in the ci step), and
# without the semantics snapshot (it compares reports, not memory; it runs in the ci step), and
# without the 20,000- and 100,000-step replay tests (about 260 s and 130 s under ASan; the
# 3,000-step one stays; all three run in the ci step), and without the Open MPI runs (mpi_*: they
# test processes talking over loopback; the distributed search itself runs under the sanitizers
# in the unit tests, on thread ranks).
# CANCELCHECK_SKIP_ASAN=1 skips the sanitizer step. Timings: docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
cmake --preset ci >/dev/null
cmake --build --preset ci
ctest --preset ci -j2
if [[ "${CANCELCHECK_SKIP_ASAN:-0}" != 1 ]]; then
  cmake --preset asan >/dev/null
  cmake --build --preset asan
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --preset asan -j2 \
    -E 'browser|sarif_schema|fuzz_.*_smoke|Differential|SigkillAtAnyMoment|HostileSpecs.MemoryLimit|semantics_snapshot|ReplayHardening.(TwentyThousand|HundredThousand)|mpi_'
fi
