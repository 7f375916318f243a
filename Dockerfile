# syntax=docker/dockerfile:1
# fullscript-redirect: one static-stdlib Swift binary on debian:bookworm-slim.
#
#   docker build -t fullscript-redirect --build-arg VERSION="$(git describe --always --dirty)" .
#
# scripts/docker-proof.sh builds this file with buildah and runs the image with podman.

# --- build stage: a release binary with the Swift runtime linked in statically ------------------------
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-dev libpq-dev libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
# SwiftPM loads every target of the manifest, test targets included: their sources come along.
COPY Tests ./Tests
# The cache mount keeps dependencies and object files between builds on the same builder.
RUN --mount=type=cache,target=/src/.build \
    swift build -c release --product fullscript-redirect --static-swift-stdlib \
    && install -D -m 0755 .build/release/fullscript-redirect /out/fullscript-redirect

# --- runtime stage: the binary, its data files, and only the shared libraries it links against ---------
FROM debian:bookworm-slim
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=""
ARG LICENSES=NOASSERTION
LABEL org.opencontainers.image.title="fullscript-redirect" \
      org.opencontainers.image.description="The backend behind an EHR's Recommend with Fullscript button: EHR sign-in, Fullscript OAuth, treatment-plan links" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="${LICENSES}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
# What `ldd` of the static-stdlib binary names: libssl.so.3 and libcrypto.so.3 (libssl3), libsqlite3.so.0
# (libsqlite3-0), libpq.so.5 (libpq5: DATABASE_URL selects PostgreSQL), libstdc++.so.6 (libstdc++6),
# libgcc_s.so.1 (libgcc-s1), libm and libc (libc6).
# libstdc++6, libgcc-s1 and libc6 are in bookworm-slim already (apt needs them); the first two are named
# anyway, being the binary's own dependencies, so that nothing removes them (this adds no bytes).
# ca-certificates: the trust anchors of the HTTPS client that calls Fullscript.
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-0 libpq5 libssl3 libstdc++6 libgcc-s1 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app \
    && install -d -o app -g app -m 0700 /app/data
WORKDIR /app
COPY --from=build /out/fullscript-redirect /usr/local/bin/fullscript-redirect
COPY Public ./Public
COPY Migrations ./Migrations
COPY config ./config
# Numeric, so an orchestrator can check it is not root (Kubernetes runAsNonRoot).
USER 10001:10001
# The drain bound stays under `docker stop`'s default 10 s before SIGKILL. No shutdown delay: a lone container has
# no load balancer polling /readyz; behind one, set HTTP_SHUTDOWN_DELAY_MS and a stop timeout above delay + grace.
ENV HOST=0.0.0.0 PORT=8080 DATABASE_PATH=/app/data/fullscript-redirect.sqlite HTTP_SHUTDOWN_GRACE_MS=8000 \
    HTTP_SHUTDOWN_DELAY_MS=0
VOLUME ["/app/data"]
EXPOSE 8080
STOPSIGNAL SIGTERM
# bash (essential in Debian, so in bookworm-slim) speaks HTTP over /dev/tcp: no curl in the image.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PORT} && printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && read -r -t 2 _ code _ <&3 && [ \"${code:0:3}\" = 200 ]"]
ENTRYPOINT ["fullscript-redirect"]
CMD ["serve"]
