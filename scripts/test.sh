#!/usr/bin/env bash
# Builds healthgap and runs every test: unit, integration (real loopback servers, real
# promtool/prometheus/alertmanager), then the whole suite again under ASan+UBSan.
# Installs its own dependencies (Debian 12 packages, as root). Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

jobs=${HEALTHGAP_JOBS:-2}
sanitizers=$([[ ${HEALTHGAP_SKIP_SANITIZERS:-0} == 1 ]] && echo 0 || echo 1)

configure() {  # configure DIR CMAKE_ARGS...
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug "$@" >/dev/null
}

echo "== build and test"
configure build/test
cmake --build build/test -j "$jobs"

if ((sanitizers)); then
  # The sanitizer build starts now, at the lowest priority: the plain tests spend more than half
  # of their time waiting on real components (43% of two cores busy, measured), and it takes
  # that idle CPU. They run slower beside it (427-439 s against ~320 s alone), but the build is
  # done when they are. Its own process group, so it stops with this script.
  configure build/sanitize -DHEALTHGAP_SANITIZE=ON
  setsid nice -n 19 cmake --build build/sanitize -j "$jobs" >build/sanitize-build.log 2>&1 &
  sanitize_build=$!
  trap 'kill -- -"$sanitize_build" 2>/dev/null || true' EXIT
fi

ctest --test-dir build/test --output-on-failure -j "$jobs"

if ((sanitizers)); then
  echo "== build and test with AddressSanitizer + UndefinedBehaviorSanitizer"
  if ! wait "$sanitize_build"; then
    tail -n 60 build/sanitize-build.log
    echo "the sanitizer build failed: build/sanitize-build.log" >&2
    exit 1
  fi
  trap - EXIT
  cmake --build build/sanitize -j "$jobs"  # up to date: says so
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  # The fuzz targets build with clang's own ASan+UBSan (tests/fuzz/run_fuzz.sh) whatever the
  # pass: they ran in the first one.
  ctest --test-dir build/sanitize --output-on-failure -j "$jobs" -LE fuzz
fi
