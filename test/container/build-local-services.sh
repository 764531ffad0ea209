#!/bin/bash
# Builds the PostgreSQL and Redis images the container test runs compose with, from a
# debootstrapped Debian bookworm (no image registry is reachable from the test machines).
# Test-only stand-ins for the official postgres/redis images that compose.yaml names: the
# PostgreSQL one reads POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB like the official
# image and keeps its data in /var/lib/postgresql/data.
#   build-local-services.sh [POSTGRES_TAG] [REDIS_TAG]
set -euo pipefail
PG_TAG=${1:-local/storyflow-test-postgres:15}; REDIS_TAG=${2:-local/storyflow-test-redis:7}
MIRROR=${MIRROR:-$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)}
WORK=$(mktemp -d); ROOT="$WORK/rootfs"
trap 'rm -rf "$WORK"' EXIT
debootstrap --variant=minbase --include=postgresql-15,redis-server bookworm "$ROOT" "$MIRROR" \
  >"$WORK/debootstrap.log" || { tail -n 30 "$WORK/debootstrap.log" >&2; exit 1; }
rm -f "$ROOT"/var/cache/apt/archives/*.deb; rm -rf "$ROOT"/var/lib/apt/lists/*
rm -rf "$ROOT"/var/lib/postgresql/15/main "$ROOT"/usr/share/doc/* "$ROOT"/usr/share/man/*
cat >"$ROOT/usr/local/bin/postgres-entrypoint" <<'SH'
#!/bin/sh
# Like the official image's entrypoint, for what compose.yaml uses: first start initializes
# $PGDATA with POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB, then PostgreSQL runs as PID 1.
set -eu
PGDATA=/var/lib/postgresql/data; BIN=/usr/lib/postgresql/15/bin
user=${POSTGRES_USER:-postgres}; db=${POSTGRES_DB:-$user}
mkdir -p "$PGDATA" /run/postgresql; chown -R postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  printf '%s' "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}" >/tmp/pwfile
  chown postgres /tmp/pwfile
  as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
  as_pg "$BIN/initdb" -D "$PGDATA" -U "$user" --pwfile=/tmp/pwfile \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f /tmp/pwfile
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  as_pg "$BIN/pg_ctl" -D "$PGDATA" -o "-c listen_addresses=" -w start >/dev/null
  if [ "$db" != postgres ]; then
    as_pg psql -h /run/postgresql -U "$user" -d postgres -qc "create database \"$db\""
  fi
  as_pg "$BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups \
  "$BIN/postgres" -D "$PGDATA" -c listen_addresses='*' "$@"
SH
cat >"$ROOT/usr/local/bin/redis-entrypoint" <<'SH'
#!/bin/sh
# Like the official image: without a config file, Redis takes connections from other containers.
if [ "${1:-}" = redis-server ]; then shift; exec redis-server "$@" --protected-mode no; fi
exec "$@"
SH
chmod 755 "$ROOT/usr/local/bin/postgres-entrypoint" "$ROOT/usr/local/bin/redis-entrypoint"
tar -C "$ROOT" -c . | docker import \
  -c 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'EXPOSE 5432' \
  -c 'ENTRYPOINT ["/usr/local/bin/postgres-entrypoint"]' -c 'CMD []' - "$PG_TAG" >/dev/null
tar -C "$ROOT" -c . | docker import \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'EXPOSE 6379' -c 'ENTRYPOINT ["/usr/local/bin/redis-entrypoint"]' -c 'CMD ["redis-server"]' \
  - "$REDIS_TAG" >/dev/null
