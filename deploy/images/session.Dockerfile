# syntax=docker/dockerfile:1.7
# The session image: `raworc-agent` under tini as PID 1, as uid 1000, with the tools an agent uses.
# Build from the repository root: docker build -f deploy/images/session.Dockerfile -t IMAGE .
# The base is pinned by exact tag; pin it by digest too in a registry you mirror.

FROM node:24.21.0-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY proto/package.json proto/
COPY control-plane/package.json control-plane/
COPY agent-runtime/package.json agent-runtime/
COPY cli/package.json cli/
COPY deploy/package.json deploy/
COPY test-support/package.json test-support/
# Only the daemon's production dependencies (and proto, which it links).
RUN npm ci --omit=dev --workspace agent-runtime && npm cache clean --force

# The daemon as one JavaScript file, built from the sources this image is built from (so it
# cannot be stale); the image then runs plain node and ships no TypeScript.
FROM node:24.21.0-bookworm-slim AS bundle
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY proto/package.json proto/
COPY control-plane/package.json control-plane/
COPY agent-runtime/package.json agent-runtime/
COPY cli/package.json cli/
COPY deploy/package.json deploy/
COPY test-support/package.json test-support/
RUN npm ci --workspace agent-runtime --include-workspace-root --ignore-scripts && npm cache clean --force
COPY proto/src proto/src
COPY proto/gen proto/gen
COPY agent-runtime/src agent-runtime/src
COPY control-plane/src/runtime/process/daemon-bundle.ts control-plane/src/runtime/process/bundle-daemon-cli.ts control-plane/src/runtime/process/
RUN npx tsx control-plane/src/runtime/process/bundle-daemon-cli.ts agent-runtime

FROM node:24.21.0-bookworm-slim
LABEL org.opencontainers.image.title="raworc-session" \
      org.opencontainers.image.description="Raworc session image: the raworc-agent daemon under tini, with git, a shell and common CLIs" \
      org.opencontainers.image.source="https://github.com/raworc/raworc" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="Raworc"
# Tools agents run in the workspace; no compilers or headers.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      tini ca-certificates git openssh-client curl jq ripgrep procps less patch unzip xz-utils \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOME=/tmp \
    TMPDIR=/tmp
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY proto/package.json proto/
COPY agent-runtime/package.json agent-runtime/
COPY agent-runtime/bin agent-runtime/bin
COPY --from=bundle /app/agent-runtime/dist agent-runtime/dist
# The pod's command is `raworc-agent` (the kubernetes runtime's default): this wrapper puts tini
# in front as PID 1, so tool processes are reaped and SIGTERM reaches the daemon.
COPY --chmod=0755 deploy/images/raworc-agent.sh /usr/local/bin/raworc-agent
RUN mkdir -p /workspace && chown 1000:1000 /workspace
USER 1000:1000
WORKDIR /workspace
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["pgrep", "-f", "agent-runtime/bin/raworc-agent.js"]
ENTRYPOINT ["/usr/local/bin/raworc-agent"]
