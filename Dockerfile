# Baton's container image: a Swift build stage and a small Debian runtime that runs Baton as a non-root user.
#
#   docker build -t baton .
#   docker run -p 8080:8080 baton                  # the demo: open http://localhost:8080/webchat/demo
#   docker run -p 8080:8080 -v baton-data:/var/lib/baton -v ./baton.yaml:/etc/baton/baton.yaml:ro \
#       -e BATON_CONFIG=/etc/baton/baton.yaml baton
#
# Without a registry (as on Baton's own test machines), scripts/build-image compiles Baton on the host and builds
# the runtime stage from a Debian base made locally with debootstrap: it sets BATON_FROM and RUNTIME_IMAGE below.

ARG SWIFT_IMAGE=swift:6.2-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim
# Where the runtime stage takes /staging from: the `build` stage below, or an image of a build made elsewhere.
ARG BATON_FROM=build

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libsqlite3-dev zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The Swift runtime and Foundation linked in: the runtime image needs no Swift libraries.
RUN swift build -c release --product baton --static-swift-stdlib \
    && scripts/stage-image "$(swift build -c release --show-bin-path)" /staging

FROM ${BATON_FROM} AS baton

FROM ${RUNTIME_IMAGE}
# libsqlite3 (the embedded store) and zlib are what the binary links besides libc; tzdata for working hours' time
# zones; CA certificates for https to Chatwoot and bots.
RUN apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ca-certificates libsqlite3-0 zlib1g tzdata \
    && apt-get clean && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 baton \
    && useradd --uid 10001 --gid baton --no-create-home --home-dir /var/lib/baton --shell /usr/sbin/nologin baton \
    && install -d -o baton -g baton -m 0750 /var/lib/baton \
    && install -d -m 0755 /etc/baton
COPY --from=baton /staging/ /app/
# A crash prints every thread's stack, with function names, to the log (the backtracer staged next to Baton).
ENV PATH=/app:$PATH \
    SWIFT_BACKTRACE=enable=yes,interactive=no,color=no,output-to=stderr,swift-backtrace=/app/swift-backtrace \
    BATON_SERVER_HOST=0.0.0.0 \
    BATON_STORAGE_SQLITE_PATH=/var/lib/baton/baton.sqlite
# The embedded store and the files setup writes (webhook secret) live on the volume; the config is mounted read-only.
VOLUME /var/lib/baton
WORKDIR /var/lib/baton
USER baton:baton
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["baton", "health"]
# Baton is PID 1: it handles SIGTERM itself (drains connections, stops the outbox, closes the store).
ENTRYPOINT ["baton"]
CMD ["serve"]
