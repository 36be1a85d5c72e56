#!/usr/bin/env bash
# Builds fuzz_health_body with clang's libFuzzer (apart from the main gcc build) and runs it for a
# bounded time on a copy of the seed corpus. Exits non-zero when the build fails or the fuzzer
# finds a crash, leak, sanitizer report or timeout; the reproducer is left in the work dir.
#
#   tests/fuzz/run_fuzz.sh [work_dir] [seconds]     (defaults: build-fuzz, 20)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${1:-$root/build-fuzz}
seconds=${2:-20}
cxx=${CXX_FUZZ:-$(command -v clang++-14 || command -v clang++ || true)}
if [[ -z $cxx ]]; then
  echo "run_fuzz: clang++ not found (scripts/install-deps.sh installs clang-14)" >&2
  exit 1
fi

mkdir -p "$work/corpus" "$work/artifacts"
binary=$work/fuzz_health_body
# -O1 -g: fast enough to cover much in a short run, readable stacks when it finds something.
"$cxx" -std=c++20 -O1 -g -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$root/src" \
  "$here/fuzz_health_body.cc" "$root/src/eval/health_body.cc" "$root/src/eval/cache_evidence.cc" \
  -o "$binary"

# New inputs go to the work corpus; the seeds in the tree stay as committed.
cp -n "$here"/corpus/* "$work/corpus/" 2>/dev/null || true
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# max_len 1 MiB + 2: past BodyLimits::max_bytes, so the too_large path is reached too.
exec "$binary" "$work/corpus" \
  -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=1048578 \
  -artifact_prefix="$work/artifacts/" -print_final_stats=1
