#!/usr/bin/env bash
# Stop the jutsu-ops test lab: sshd, cron, host B (sshd B, its containers, dockerd B, its bridge), the lab
# containers, the registry and dockerd (each only if up.sh started it). Keeps the docker data roots (base/postgres
# images, the postgres volume) and $LAB.
# Usage: down.sh [--purge]   --purge also deletes $LAB, the postgres data volume, the lab's app images,
#                            host B's data root, /mnt/user/appdata/jutsu{,-staging} (the next up.sh starts from scratch).
set -euo pipefail
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
# shellcheck source=host-b.sh
. "$LAB_SRC/host-b.sh"

# one up.sh/down.sh at a time (flock -o: the daemons started below do not inherit the lock)
if [ "${JUTSU_LAB_LOCKED:-}" != "$LAB" ]; then
  JUTSU_LAB_LOCKED="$LAB" exec flock -o -w 900 "$LAB.lock" bash "${BASH_SOURCE[0]}" "$@"
fi

PURGE=0
for arg in "$@"; do
  case "$arg" in
    --purge) PURGE=1 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) die args "unknown option: $arg" ;;
  esac
done
[ "$(id -u)" = 0 ] || die preflight "must run as root"

if pid_alive "$LAB/sshd.pid" sshd; then
  stop_pidfile "$LAB/sshd.pid" sshd 5
  log "sshd: stopped"
fi

host_b_running && stop_host_b
if [ "$PURGE" = 1 ] && [ -d "$B_DOCKER_ROOT" ]; then
  if grep -qF " $B_DOCKER_ROOT/" /proc/mounts || grep -qF " $B_DOCKER_ROOT " /proc/mounts; then
    warn "something is still mounted under $B_DOCKER_ROOT; kept it"
  else
    rm -rf "$B_DOCKER_ROOT" && log "host B: data root $B_DOCKER_ROOT deleted"
  fi
fi

# root's crontab: drop the lab block, keep everything else
if command -v crontab >/dev/null 2>&1 && crontab -l >/dev/null 2>&1; then
  rest="$(crontab -l | sed '/^# jutsu-lab BEGIN/,/^# jutsu-lab END/d')"
  if [ -n "$(tr -d '[:space:]' <<<"$rest")" ]; then printf '%s\n' "$rest" | crontab -; else crontab -r; fi
  log "cron: lab schedule removed from root's crontab"
fi
if pid_alive "$LAB/cron.pid" cron; then
  stop_pidfile "$LAB/cron.pid" cron 5
  log "cron: stopped"
fi

if docker_ok; then
  for c in "$STAGING_CONTAINER" "$PROD_CONTAINER" "$PG_CONTAINER"; do
    if [ "$(container_state "$c")" != missing ]; then
      docker rm -f "$c" >/dev/null
      log "$c: removed"
    fi
  done
  if [ "$PURGE" = 1 ]; then
    docker volume rm -f "$PG_VOLUME" >/dev/null 2>&1 && log "postgres: volume $PG_VOLUME removed" || true
    imgs="$(docker images --format '{{.Repository}}:{{.Tag}}' | grep -E "^(127\.0\.0\.1|localhost):${REG_PORT}/ankugo/jutsu-labs:" || true)"
    [ -n "$imgs" ] && docker rmi -f $imgs >/dev/null 2>&1 || true
    docker image prune -f >/dev/null 2>&1 || true
  fi
fi

if pid_alive "$LAB/registry.pid" docker-registry; then
  stop_pidfile "$LAB/registry.pid" docker-registry 5
  log "registry: stopped"
fi

if [ -f "$LAB/dockerd.ours" ] && pid_alive "$LAB/dockerd.pid" dockerd &&
   [ "$(cat "$LAB/dockerd.pid")" = "$(cat "$LAB/dockerd.ours")" ]; then
  stop_pidfile "$LAB/dockerd.pid" dockerd 30
  rm -f "$LAB/dockerd.ours"
  log "dockerd: stopped (data root $DOCKER_ROOT kept)"
elif docker_ok; then
  log "dockerd: left running (not started by the lab)"
fi

if [ "$PURGE" = 1 ]; then
  rm -rf "$LAB" "$APPDATA/jutsu" "$APPDATA/jutsu-staging"
  log "purged $LAB and $APPDATA/jutsu{,-staging}"
fi
log "lab down"
