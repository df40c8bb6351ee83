#!/usr/bin/env bash
# Installs the Debian packages cancelcheck needs, only those that are missing. Idempotent.
set -euo pipefail
want=(build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
      libz3-dev libcli11-dev libgtest-dev nlohmann-json3-dev libfmt-dev libxxhash-dev
      libbenchmark-dev libopenmpi-dev openmpi-bin)
if [[ "${1:-}" == "--test" ]]; then
  want+=(chromium python3 python3-jsonschema libxml2-utils groff-base python3-yaml git python3-pylsp-jsonrpc vim)
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
