# syntax=docker/dockerfile:1.7
# The control-plane image: `raworc start` as uid 1000, TypeScript run through tsx (no build step).
# Build from the repository root: docker build -f deploy/images/control-plane.Dockerfile -t IMAGE .
# The base is pinned by exact tag; pin it by digest too (node:24.21.0-bookworm-slim@sha256:…) in
# a registry you mirror, since the tag can be re-pushed.

FROM node:24.21.0-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY proto/package.json proto/
COPY contract/package.json contract/
COPY console/package.json console/
COPY control-plane/package.json control-plane/
COPY agent-runtime/package.json agent-runtime/
COPY cli/package.json cli/
COPY deploy/package.json deploy/
COPY test-support/package.json test-support/
# Production dependencies of the CLI and what it links (control-plane, agent-runtime, proto);
# tsx is a dependency of cli, so the TypeScript sources run without dev dependencies.
RUN npm ci --omit=dev --workspace cli && npm cache clean --force

# The web console: built here with its dev dependencies (Vite, Preact, connect-web); only its
# dist/ goes into the image, served by the control plane at / (no CDN).
FROM deps AS console
RUN npm ci --workspace console && npm cache clean --force
COPY proto/src proto/src
COPY proto/gen proto/gen
COPY console/index.html console/vite.config.ts console/
COPY console/src console/src
RUN npm run build --workspace console

FROM node:24.21.0-bookworm-slim
LABEL org.opencontainers.image.title="raworc-control-plane" \
      org.opencontainers.image.description="Raworc control plane: Connect/gRPC API, session reconciler, /healthz and /metrics on one port" \
      org.opencontainers.image.source="https://github.com/raworc/raworc" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="Raworc"
ENV NODE_ENV=production \
    RAWORC_HOST=0.0.0.0 \
    RAWORC_PORT=9000 \
    RAWORC_DATA_DIR=/var/lib/raworc
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY proto/package.json proto/
COPY proto/src proto/src
COPY proto/gen proto/gen
COPY agent-runtime/package.json agent-runtime/
COPY agent-runtime/bin agent-runtime/bin
COPY agent-runtime/src agent-runtime/src
COPY console/package.json console/
COPY --from=console /app/console/dist console/dist
COPY control-plane/package.json control-plane/
COPY control-plane/src control-plane/src
COPY cli/package.json cli/
COPY cli/bin cli/bin
COPY cli/src cli/src
# The data directory holds nothing durable with an external database; in Kubernetes it is an emptyDir.
RUN mkdir -p /var/lib/raworc && chown 1000:1000 /var/lib/raworc && ln -s /app/cli/bin/raworc.js /usr/local/bin/raworc
USER 1000:1000
EXPOSE 9000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.RAWORC_PORT || 9000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node is PID 1 here: the server handles SIGTERM itself (drains, releases its leases) and spawns no children in the kubernetes runtime.
ENTRYPOINT ["node", "/app/cli/bin/raworc.js"]
CMD ["start"]
