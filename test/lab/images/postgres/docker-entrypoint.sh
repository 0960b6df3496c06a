#!/bin/sh
# jutsu-lab/postgres:15 entrypoint: initdb on a fresh volume, then run postgres in the foreground.
set -e
PGDATA="${PGDATA:-/var/lib/postgresql/data/pgdata}"
export PGDATA
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  echo "lab-postgres: initialising $PGDATA"
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  pw=/tmp/.pwfile.$$
  umask 077
  printf '%s\n' "${POSTGRES_PASSWORD:-postgres}" > "$pw"
  initdb -D "$PGDATA" -U postgres -E UTF8 --locale=C --auth-local=trust --auth-host=scram-sha-256 --pwfile="$pw"
  rm -f "$pw"
  cat >> "$PGDATA/pg_hba.conf" <<'HBA'
# jutsu-lab: connections through the published port arrive from the bridge gateway
host    all             all             0.0.0.0/0               scram-sha-256
host    all             all             ::/0                    scram-sha-256
HBA
  cat >> "$PGDATA/postgresql.conf" <<'CONF'
# jutsu-lab
listen_addresses = '*'
port = 5432
password_encryption = scram-sha-256
timezone = 'America/New_York'
log_timezone = 'America/New_York'
jit = off
CONF
fi
exec postgres -D "$PGDATA" "$@"
