# Accessioner container image (issue 6). Two stages:
#   build:   Debian 12 with the build packages of scripts/install-deps.sh, scripts/build.sh, then
#            the same .deb as `cpack -G DEB` makes for a bare-metal install;
#   runtime: Debian 12 slim with that .deb installed by apt, which pulls exactly the runtime
#            libraries its dependencies list (computed by dpkg-shlibdeps from the binary).
# Used by docker-compose.yml; see docs/operations.md, "Docker Compose".
#   docker build -t accessioner .
#   docker run --rm -p 127.0.0.1:11112:11112 -v accessioner-queue:/var/lib/accessioner \
#     -v $PWD/my.toml:/etc/accessioner/accessioner.toml:ro accessioner

FROM debian:12 AS build
# The build half of scripts/install-deps.sh (toolchain and libraries; tests/packaging checks the
# two lists stay in step). No test peers or test libraries: tests are not built here, they run
# with scripts/test.sh. `file` is what CPack's dpkg-shlibdeps step needs.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config file \
      libasio-dev libdcmtk-dev librocksdb-dev libspdlog-dev libfmt-dev libtomlplusplus-dev \
      libcli11-dev nlohmann-json3-dev prometheus-cpp-dev libxxhash-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN BUILD_DIR=/build bash scripts/build.sh -DACC_BUILD_TESTS=OFF -DACC_BUILD_BENCHMARKS=OFF \
 && cd /build && cpack -G DEB -B /pkg \
 && rm -rf /pkg/_CPack_Packages

FROM debian:12-slim AS runtime
# A fixed uid/gid (the package's postinst would pick a dynamic one) so that bind-mounted
# directories can be given to it: chown 10001:10001 on the host.
RUN groupadd --system --gid 10001 accessioner \
 && useradd --system --uid 10001 --gid accessioner --home-dir /var/lib/accessioner \
      --no-create-home --shell /usr/sbin/nologin accessioner
COPY --from=build /pkg/ /tmp/pkg/
# The package (binary, /etc/accessioner, docs) and its runtime libraries. dcmtk: wlmscpfs for the
# compose worklist service, and echoscu/findscu/storescu for diagnosing from inside. tzdata:
# worklist queries ask for "today" in local time; set TZ to the hospital's zone.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      /tmp/pkg/accessioner_*.deb dcmtk tzdata \
 && rm -rf /var/lib/apt/lists/* /tmp/pkg \
 && install -d -o accessioner -g accessioner -m 0750 /var/lib/accessioner \
 && accessioner --version

# The queue (storage.path = /var/lib/accessioner/queue) and the admin socket. Declared after the
# directory is owned by accessioner, so a new named volume starts with that owner.
VOLUME /var/lib/accessioner
WORKDIR /var/lib/accessioner
USER accessioner:accessioner
# DICOM (server.port) and the metrics/health endpoint ([metrics] port; the package's default
# configuration binds it to 127.0.0.1, mount one that says bind = "0.0.0.0" to publish it).
EXPOSE 11112 9110
# /readyz answers 200 when the store is writable and the listener is up. Plain bash: no HTTP
# client in the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9110 && printf 'GET /readyz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# SIGTERM drains in-flight transfers for shutdown_grace_s (30 s): give `docker stop` longer
# (docker stop -t 45, or stop_grace_period in compose).
STOPSIGNAL SIGTERM
ENTRYPOINT ["accessioner"]
CMD ["serve", "--config", "/etc/accessioner/accessioner.toml"]
