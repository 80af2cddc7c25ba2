# One image with both servers: codebase-mcp and workflow-mcp.
#
#   docker build -t mcp-memory/servers:local --build-arg VERSION=$(git describe --always) .
#   docker run --rm mcp-memory/servers:local codebase-mcp version
#
# docker-compose.yml builds it and runs each server from it. The build stage
# needs cgo: codebase-mcp parses code with tree-sitter, whose grammars are C.
# Both stages are Debian bookworm, so the binaries' glibc matches at run time.

FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=1
# Modules first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
# The build cache mount keeps the tree-sitter grammars compiled between
# builds (about 2 minutes on 2 cores the first time, seconds afterwards).
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/codebase-mcp ./cmd/codebase-mcp \
 && go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/workflow-mcp ./cmd/workflow-mcp

FROM debian:bookworm-slim
# ca-certificates: the OpenAI-compatible embedder and any https database
# URL verify TLS. Nothing else: the health check below uses bash, which
# the base image has, instead of curl.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /nonexistent --shell /usr/sbin/nologin mcp
COPY --from=build /out/codebase-mcp /out/workflow-mcp /usr/local/bin/
USER 10001:10001
EXPOSE 8020 8010
# Which server runs is the command: codebase-mcp serve (port 8020) or
# workflow-mcp serve (set HEALTHCHECK_PORT=8010 for the health check).
CMD ["codebase-mcp", "serve"]
# GET /health over bash's /dev/tcp: 200 means healthy or degraded, 503
# unhealthy (docs/api.md). /health needs no token even with --auth-token.
ENV HEALTHCHECK_PORT=8020
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${HEALTHCHECK_PORT} && printf 'GET /health HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' >&3 && read -t 2 -r _ status _ <&3 && [ \"$status\" = 200 ]"]
