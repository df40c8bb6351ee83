#!/usr/bin/env bash
# Install what is missing, build with -Werror, and run the whole test suite. Fails on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
cmake --preset ci >/dev/null
cmake --build --preset ci
ctest --preset ci -j2
