#!/usr/bin/env bash
# Builds one libFuzzer target with clang (apart from the main gcc build) and runs it for a
# bounded time on a copy of its seed corpus. Exits non-zero when the build fails or the fuzzer
# finds a crash, leak, sanitizer report, timeout or memory blow-up; the reproducer is left in
# the work dir.
#
#   tests/fuzz/run_fuzz.sh TARGET [work_dir] [seconds]   (defaults: build-fuzz/TARGET, 20)
#
# Targets:
#   health_body  the health body parsers and cache facts (what a probed server answers)
#   config       the config, file_sd (YAML and JSON) and web config loaders (what other tools
#                and people write)
#   http         request framing (what any client of the exporter sends) and the redirect rules
#                (what a probed target's Location says)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${1:?usage: run_fuzz.sh TARGET [work_dir] [seconds]}
work=${2:-$root/build-fuzz/$target}
seconds=${3:-20}
cxx=${CXX_FUZZ:-$(command -v clang++-14 || command -v clang++ || true)}
if [[ -z $cxx ]]; then
  echo "run_fuzz: clang++ not found (scripts/install-deps.sh installs clang-14)" >&2
  exit 1
fi

case $target in
  health_body)
    sources=("$root/src/eval/health_body.cc" "$root/src/eval/cache_evidence.cc"
      "$root/src/eval/json_conditions.cc" "$root/src/common/json_condition.cc")
    libraries=()
    # Past BodyLimits::max_bytes (1 MiB), so the too_large path is reached too.
    max_len=1048578
    ;;
  config)
    sources=("$root"/src/config/*.cc "$root"/src/audit/*.cc "$root/src/server/web_config.cc"
      "$root/src/common/log.cc"
      "$root/src/common/regex.cc" "$root/src/common/json_condition.cc"
      "$root/src/common/socket_address.cc" "$root/src/common/listen_address.cc")
    libraries=($(pkg-config --libs yaml-0.1 re2 libssl libcrypto) -lcrypt)
    max_len=65536
    ;;
  http)
    sources=("$root/src/server/http_framing.cc" "$root/src/probe/redirects.cc"
      "$root/src/sources/haproxy_stat.cc" "$root/src/sources/access_log.cc"
      "$root/src/sources/prometheus_api.cc")
    libraries=($(pkg-config --libs libcurl))
    max_len=65536
    ;;
  *)
    echo "run_fuzz: unknown target $target (health_body, config, http)" >&2
    exit 2
    ;;
esac

mkdir -p "$work/corpus" "$work/artifacts"
binary=$work/fuzz_$target
# -O1 -g: fast enough to cover much in a short run, readable stacks when it finds something.
"$cxx" -std=c++20 -O1 -g -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$root/src" \
  "$here/fuzz_$target.cc" "${sources[@]}" "${libraries[@]}" \
  -o "$binary"

# New inputs go to the work corpus; the seeds in the tree stay as committed.
cp -n "$here/corpus/$target"/* "$work/corpus/" 2>/dev/null || true
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec "$binary" "$work/corpus" \
  -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 \
  -max_len="$max_len" -artifact_prefix="$work/artifacts/" -print_final_stats=1
