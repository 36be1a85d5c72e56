# healthgap image, plus Debian-packaged Prometheus and Alertmanager images for the stack in
# docker-compose.yml. Debian 12 throughout; everything comes from Debian packages, built from
# source here. The Prometheus and Alertmanager stages install the very packages the end-to-end
# test (tests/e2e/alerting_e2e.py) runs, so the stack and CI run the same versions.
#
#   docker build --target healthgap -t healthgap .
#   docker run --rm -p 9310:9310 healthgap demo --web.listen-address 0.0.0.0:9310

# ---- build: toolchain and -dev packages from scripts/install-deps.sh ----
FROM debian:12 AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DHEALTHGAP_BUILD_TESTS=OFF \
 && cmake --build /build --target healthgap \
 && install -m 0755 /build/src/cli/healthgap /usr/local/bin/healthgap

# ---- healthgap: runtime libraries only ----
FROM debian:12-slim AS healthgap
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates libcurl4 libssl3 libyaml-0-2 libre2-9 \
      libprometheus-cpp-core1.0 libcpp-httplib0.11 libjemalloc2 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/healthgap /usr/local/bin/healthgap
USER nobody
EXPOSE 9310
ENTRYPOINT ["/usr/local/bin/healthgap"]
CMD ["demo", "--web.listen-address", "0.0.0.0:9310"]

# ---- prometheus: Debian's prometheus package ----
FROM debian:12-slim AS prometheus
RUN apt-get update \
 && apt-get install -y --no-install-recommends prometheus \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /prometheus && chown prometheus:prometheus /prometheus
USER prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", \
     "--web.listen-address=0.0.0.0:9090"]

# ---- alertmanager: Debian's prometheus-alertmanager package ----
FROM debian:12-slim AS alertmanager
RUN apt-get update \
 && apt-get install -y --no-install-recommends prometheus-alertmanager \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /alertmanager && chown prometheus:prometheus /alertmanager
USER prometheus
EXPOSE 9093
ENTRYPOINT ["/usr/bin/prometheus-alertmanager"]
CMD ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager", \
     "--web.listen-address=0.0.0.0:9093", "--cluster.listen-address="]
