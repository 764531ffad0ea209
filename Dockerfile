# storyflow's container image: `docker build -t storyflow .` (the classic builder works; BuildKit
# is not needed). Runs `storyflow serve` on port 8080 as the unprivileged user `node`, with
# SQLite in the volume /data unless STORYFLOW_DATABASE_URL says otherwise. See docs/deploy.md.
ARG BASE=node:20-bookworm-slim

# ---- build: compile TypeScript and better-sqlite3, then keep production dependencies only
FROM ${BASE} AS build
# better-sqlite3 is compiled from source when no prebuilt binary can be downloaded.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here; better-sqlite3 is built
# next. `npm ls` fails the build when npm leaves node_modules incomplete yet exits 0.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 \
 && npm ls --all >/dev/null
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY client ./client
# The server, then the console's script and style (esbuild, a dev dependency: bundled here so
# the runtime never needs it). Type declarations, source maps and READMEs of the dependencies
# are not needed to run.
RUN npx tsc -p tsconfig.build.json \
 && npm run build:console \
 && test -s dist/console/console.js && test -s dist/console/console.css \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm ls --omit=dev --all >/dev/null \
 && cd node_modules/better-sqlite3 \
 && rm -rf deps src build/Release/obj build/Release/obj.target build/Release/.deps build/deps \
    build/Release/test_extension.node \
 && cd /app \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \
    -o -name '*.map' -o -name '*.md' \) ! -iname 'licen[cs]e*' -delete \
 && node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"

# ---- runtime: Node, the compiled server and its production dependencies
FROM ${BASE}
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=4 \
    STORYFLOW_PORT=8080 \
    STORYFLOW_DATABASE_URL=sqlite:/data/storyflow.db
# git: stories as code (`repositories:`) fetch with the system git, 2.30 or later (bookworm has
# 2.39); ssh for repositories reached with a key. `serve` refuses to start without them only
# when repositories are configured.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
RUN ln -s /app/bin/storyflow /usr/local/bin/storyflow \
 && mkdir -p /data \
 && chown node:node /data
VOLUME /data
USER node
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.STORYFLOW_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node is PID 1 and handles SIGTERM itself: it stops accepting connections, answers the
# requests in flight (STORYFLOW_SHUTDOWN_GRACE_SECONDS), stops the inbox worker and exits 0.
ENTRYPOINT ["node", "/app/dist/main.js"]
CMD ["serve"]
