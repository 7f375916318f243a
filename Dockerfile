# syntax=docker/dockerfile:1
# Build stage: a release binary with the Swift runtime linked in statically.
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-dev libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
# Package.swift declares these targets too; SwiftPM refuses a package whose target folders are missing.
COPY Tests ./Tests
COPY Benchmarks/bench-server ./Benchmarks/bench-server
RUN swift build -c release --product fullscript-redirect --static-swift-stdlib \
    && install -D .build/release/fullscript-redirect /out/fullscript-redirect

# Runtime stage: only the shared libraries the binary links against.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-0 libssl3 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin app \
    && mkdir -p /app/data && chown app /app/data
WORKDIR /app
COPY --from=build /out/fullscript-redirect /usr/local/bin/fullscript-redirect
COPY Public ./Public
COPY Migrations ./Migrations
COPY config ./config
USER app
ENV HOST=0.0.0.0 PORT=8080 DATABASE_PATH=/app/data/fullscript-redirect.sqlite
VOLUME ["/app/data"]
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=3s CMD ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PORT} && printf 'GET /healthz HTTP/1.1\\r\\nHost: h\\r\\nConnection: close\\r\\n\\r\\n' >&3 && grep -q '200' <&3"]
ENTRYPOINT ["fullscript-redirect"]
CMD ["serve"]
