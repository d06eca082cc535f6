# syntax=docker/dockerfile:1
# Images of the Lemur Platform, built from this checkout:
#   docker build --target lemur -t REGISTRY/lemur:VERSION .                    gateway, inference, sandbox, eval, vllm-sim, migrate
#   docker build --target sandbox-runner -t REGISTRY/lemur-sandbox-runner:VERSION .   the pod that runs model-written code
# One image serves every service: the entry point runs TypeScript with tsx (the repository has no build step) and the
# command names the service's main file (the Helm chart sets it per Deployment). No HEALTHCHECK: Kubernetes probes
# (gRPC health, /health, /healthz) decide liveness. helm/test/images.spec.ts checks every file named here exists.

# node:20-bookworm-slim (Debian 12), pinned: rebuilds are reproducible and a moved tag cannot change the base.
ARG NODE_IMAGE=docker.io/library/node:20-bookworm-slim@sha256:2cf067cfed83d5ea958367df9f966191a942351a2df77d6f0193e162b5febfc0

FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json ./
# Install scripts are not needed: esbuild finds its platform package without one, and the embedded PostgreSQL of
# the local demo is never used in a cluster.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.base.json ./
COPY prisma ./prisma
COPY scripts/prisma-generate.sh ./scripts/prisma-generate.sh
COPY libs ./libs
# The Prisma client is generated (needs the dev-only prisma CLI), then every dev dependency is removed.
RUN bash scripts/prisma-generate.sh && npm prune --omit=dev --ignore-scripts && npm cache clean --force

FROM ${NODE_IMAGE} AS app
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/libs ./libs
COPY package.json tsconfig.json tsconfig.base.json ./
COPY prisma ./prisma
COPY apps ./apps
COPY scripts/migrate.ts ./scripts/migrate.ts

FROM ${NODE_IMAGE} AS lemur
ENV NODE_ENV=production TSX_TSCONFIG_PATH=/app/tsconfig.json
RUN groupadd --system --gid 10001 lemur && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin lemur
WORKDIR /app
COPY --from=app /app /app
USER 10001:10001
# tsx caches transpiled files under /tmp: mount a writable emptyDir there when the root filesystem is read-only.
ENTRYPOINT ["node", "--import", "/app/node_modules/tsx/dist/loader.mjs"]
# The migration Job runs: scripts/migrate.ts
CMD ["apps/gateway/src/main.ts"]

FROM ${NODE_IMAGE} AS sandbox-runner
# The interpreters the benchmarks need: Python with DS-1000's libraries (NumPy, SciPy, SymPy, pandas, scikit-learn,
# Matplotlib) from Debian, bash, and sqlite3. The runner calls /usr/bin/python3 and /usr/bin/bash by absolute path.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 python3-numpy python3-scipy python3-sympy python3-pandas \
     python3-sklearn python3-matplotlib bash sqlite3 \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production TSX_TSCONFIG_PATH=/app/tsconfig.json SANDBOX_MODE=runner MPLBACKEND=Agg PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
COPY --from=app /app /app
# nobody: the uid of the sandbox pod template (runAsUser 65534); it owns no file in the image.
USER 65534:65534
ENTRYPOINT ["node", "--import", "/app/node_modules/tsx/dist/loader.mjs"]
CMD ["apps/sandbox/src/main.ts"]
