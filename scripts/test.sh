#!/usr/bin/env bash
# Builds healthgap and runs every test: unit, integration (real loopback servers, real
# promtool/prometheus/alertmanager), then the whole suite again under ASan+UBSan.
# Installs its own dependencies (Debian 12 packages, as root). Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

jobs=${HEALTHGAP_JOBS:-2}

# run_suite DIR CTEST_ARGS -- CMAKE_ARGS
run_suite() {
  local dir=$1
  shift
  local ctest_args=()
  while (($#)) && [[ $1 != -- ]]; do
    ctest_args+=("$1")
    shift
  done
  (($#)) && shift
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" "${ctest_args[@]}"
}

echo "== build and test"
run_suite build/test --

if [[ ${HEALTHGAP_SKIP_SANITIZERS:-0} != 1 ]]; then
  echo "== build and test with AddressSanitizer + UndefinedBehaviorSanitizer"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  # The fuzz targets build with clang's own ASan+UBSan (tests/fuzz/run_fuzz.sh) whatever the
  # pass: they ran in the first one.
  run_suite build/sanitize -LE fuzz -- -DHEALTHGAP_SANITIZE=ON
fi
