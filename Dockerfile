# syntax=docker/dockerfile:1
# Hestia FHIR server image.
#   docker build -t hestia .
#   docker run -p 8080:8080 -v hestia-data:/data hestia
# Three stages: `build` compiles the TypeScript (tsc -b), `deps` installs the production dependencies
# only, and the runtime stage holds those dependencies plus the compiled dist folders and the data
# files the packages read at run time (FHIR definitions, the default roles file), nothing else.
# test/deployment.test.ts checks this file against the repository (offline; no Docker engine there).

ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: every dependency, then tsc -b --------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/core/package.json packages/core/
COPY packages/sql-common/package.json packages/sql-common/
COPY packages/persistence-postgres/package.json packages/persistence-postgres/
COPY packages/persistence-mssql/package.json packages/persistence-mssql/
COPY packages/persistence-cosmos/package.json packages/persistence-cosmos/
COPY packages/conformance/package.json packages/conformance/
COPY packages/server/package.json packages/server/
# No dependency needs an install script to compile (tsc is plain JavaScript).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.base.json ./
COPY packages/ packages/
RUN npx tsc -b

# --- deps: production dependencies only (workspace packages are linked, not installed) -----------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/core/package.json packages/core/
COPY packages/sql-common/package.json packages/sql-common/
COPY packages/persistence-postgres/package.json packages/persistence-postgres/
COPY packages/persistence-mssql/package.json packages/persistence-mssql/
COPY packages/persistence-cosmos/package.json packages/persistence-cosmos/
COPY packages/conformance/package.json packages/conformance/
COPY packages/server/package.json packages/server/
# No production dependency has an install script (the deployment test checks the lockfile).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime ---------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HESTIA_HOST=0.0.0.0 \
    HESTIA_PORT=8080 \
    HESTIA_DATA_DIR=/data/db \
    HESTIA_EXPORT_FOLDER=/data/export
WORKDIR /app
# package.json files and node_modules (with the workspace links under node_modules/@hestia).
COPY --from=deps /app ./
COPY --from=build /app/packages/core/dist packages/core/dist
COPY --from=build /app/packages/core/definitions packages/core/definitions
COPY --from=build /app/packages/sql-common/dist packages/sql-common/dist
COPY --from=build /app/packages/persistence-postgres/dist packages/persistence-postgres/dist
COPY --from=build /app/packages/persistence-mssql/dist packages/persistence-mssql/dist
COPY --from=build /app/packages/persistence-cosmos/dist packages/persistence-cosmos/dist
COPY --from=build /app/packages/server/dist packages/server/dist
COPY --from=build /app/packages/server/roles.json packages/server/roles.json
# The code stays root-owned (read-only for the server); only /data is the server's to write:
# the embedded database (/data/db, and its lock /data/db.lock) and bulk export files (/data/export).
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# Node has fetch built in (there is no curl in the slim image). The first start on an empty embedded
# database creates its schema, hence the start period.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HESTIA_PORT || 8080) + '/health/check', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"]
# The compiled server: the workspace packages resolve through their package.json "default" (dist)
# entries. Node runs as PID 1 and main.js stops cleanly on SIGTERM (docker stop) and SIGINT.
CMD ["node", "packages/server/dist/main.js"]
