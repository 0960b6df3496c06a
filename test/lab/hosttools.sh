#!/usr/bin/env bash
# Change the tool set the lab's ssh sessions (and the lab's cron jobs) see on PATH ($LAB/hostbin).
# Usage: hosttools.sh add-pg-client|remove-pg-client|add-docker|remove-docker|reset|status
set -euo pipefail
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

PG_TOOLS=(psql pg_dump pg_restore pg_dumpall pg_isready)
[ -d "$HOSTBIN" ] || die hosttools "$HOSTBIN does not exist; run test/lab/up.sh first"
docker_bin() { PATH=$SYS_PATH command -v docker; }

case "${1:-status}" in
  add-pg-client)
    for t in "${PG_TOOLS[@]}"; do ln -sfn "$PGCLIENT/$t" "$HOSTBIN/$t"; done
    log "hosttools: psql/pg_dump/pg_restore/pg_dumpall/pg_isready added to $HOSTBIN" ;;
  remove-pg-client)
    for t in "${PG_TOOLS[@]}"; do rm -f "$HOSTBIN/$t"; done
    log "hosttools: PostgreSQL client tools removed from $HOSTBIN" ;;
  add-docker)
    ln -sfn "$(docker_bin)" "$HOSTBIN/docker"
    log "hosttools: docker added to $HOSTBIN" ;;
  remove-docker)
    rm -f "$HOSTBIN/docker"
    log "hosttools: docker removed from $HOSTBIN" ;;
  reset)
    for t in "${PG_TOOLS[@]}"; do rm -f "$HOSTBIN/$t"; done
    ln -sfn "$(docker_bin)" "$HOSTBIN/docker"
    log "hosttools: reset (docker present, no PostgreSQL client)" ;;
  status)
    for t in docker "${PG_TOOLS[@]}"; do
      if [ -e "$HOSTBIN/$t" ]; then echo "$t present"; else echo "$t absent"; fi
    done ;;
  *) echo "usage: $0 add-pg-client|remove-pg-client|add-docker|remove-docker|reset|status" >&2; exit 2 ;;
esac
