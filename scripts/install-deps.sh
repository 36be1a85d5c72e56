#!/usr/bin/env bash
# Installs every Debian 12 package healthgap needs to build, test and run its demo.
# Idempotent: skips apt entirely when everything is already present.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config clang-format lld
  # libFuzzer for tests/fuzz (clang's -fsanitize=fuzzer runtime)
  clang-14 libclang-rt-14-dev
  # libraries (Debian packages only: no vendored copies, no downloads)
  prometheus-cpp-dev libcpp-httplib-dev libssl-dev libcli11-dev nlohmann-json3-dev
  libyaml-dev libre2-dev libcurl4-openssl-dev libgtest-dev libgmock-dev libjemalloc-dev
  # gRPC health checks and the gRPC demo backend: the library, protoc and its gRPC plugin
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  # --web.config.file: bcrypt via libxcrypt; the tests make certificates with the openssl CLI
  libcrypt-dev openssl
  # real components the tests start themselves
  prometheus prometheus-alertmanager python3 nginx-light curl docker-compose tinyproxy haproxy
  # `healthgap chaos` end to end: real dependencies and the real clients of a small app
  postgresql redis-server python3-psycopg2 python3-redis
  # Kubernetes manifest checks (PyYAML); the status page in real headless Chromium
  python3-yaml chromium fonts-dejavu-core
  # bench/: the comparison exporter, the load generator and the plot
  prometheus-blackbox-exporter wrk gnuplot-nox
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: need root to apt-get install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d stops the packages' own services (prometheus, nginx) from starting at install time:
# tests start their own instances on free ports.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
((created_policy)) && rm -f "$policy"
exit 0
