#!/usr/bin/env bash
# The demo: builds healthgap, starts one demo backend per failure mode on loopback and the
# exporter probing them with its embedded config, and prints live verdicts. Ctrl-C stops.
# Installs its own dependencies (Debian 12 packages, as root).
# Extra arguments go to `healthgap demo` (e.g. --web.listen-address 127.0.0.1:9310).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DHEALTHGAP_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j "${HEALTHGAP_JOBS:-2}" --target healthgap
exec build/release/src/cli/healthgap demo "$@"
