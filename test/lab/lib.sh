# shellcheck shell=bash
# Common settings and helpers for the jutsu-ops test lab (sourced by up.sh, down.sh, status.sh, hosttools.sh).

LAB_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAB="${JUTSU_LAB_DIR:-/tmp/jutsu-lab}"
DOCKER_ROOT="${JUTSU_LAB_DOCKER_ROOT:-/var/lib/jutsu-lab-docker}"
REG_PORT="${JUTSU_LAB_REGISTRY_PORT:-5000}"
PG_PORT="${JUTSU_LAB_PG_PORT:-5423}"
SSH_PORT="${JUTSU_LAB_SSH_PORT:-2222}"
MARKET_ROWS="${JUTSU_LAB_MARKET_ROWS:-20000}"
CI_DELAY="${JUTSU_LAB_CI_DELAY:-2}"

SYS_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH="$SYS_PATH:$PATH"
export DOCKER_BUILDKIT=0

REGISTRY="127.0.0.1:${REG_PORT}"
IMAGE_REPO="${REGISTRY}/ankugo/jutsu-labs"
BASE_IMAGE="jutsu-lab/busybox:base"
PG_IMAGE="jutsu-lab/postgres:15"
PG_CONTAINER="jutsu-postgres"
PG_VOLUME="jutsu-postgres-data"
PROD_CONTAINER="jutsu-labs"
STAGING_CONTAINER="jutsu-labs-staging"
PROD_DB="jutsu_labs"
STAGING_DB="jutsu_labs_staging"
ORIGIN="$LAB/git/jutsu-labs.git"
HOSTBIN="$LAB/hostbin"
PGCLIENT="$LAB/pgclient"
PGBIN=/usr/lib/postgresql/15/bin
APPDATA=/mnt/user/appdata
SYNC_SCRIPT="$APPDATA/jutsu/scripts/sync_staging.sh"
SYNC_LOG="$APPDATA/jutsu/logs/staging_sync.log"
SSH_ALIAS=tower-lab

# Host A's engine is always the default socket; host B (up.sh --two-hosts) has its own dockerd and sshd.
unset DOCKER_HOST
A_DOCKER_HOST=unix:///var/run/docker.sock
B_SSH_PORT="${JUTSU_LAB_B_SSH_PORT:-2223}"
B_SSH_ALIAS=tower-lab-b
B_DOCKER_SOCK="$LAB/docker-b.sock"
B_DOCKER_HOST="unix://$B_DOCKER_SOCK"
B_DOCKER_ROOT="${JUTSU_LAB_B_DOCKER_ROOT:-${DOCKER_ROOT}-b}"
B_EXEC_ROOT=/run/jutsu-lab-docker-b
B_BRIDGE=jutsub0
B_BRIDGE_ADDR="${JUTSU_LAB_B_BRIDGE_ADDR:-10.213.99.1/24}"

log()  { printf '[lab] %s\n' "$*"; }
warn() { printf '[lab] WARN: %s\n' "$*" >&2; }
die()  { printf '[lab] FAILED (%s): %s\n' "$1" "${*:2}" >&2; exit 1; }

# proc_running PID: the process exists and is not a zombie (this machine's pid 1 reaps orphans only after ~1-2 s)
proc_running() {
  local st
  kill -0 "$1" 2>/dev/null || return 1
  st="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  st="${st##*) }"
  st="${st%% *}"
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
# pid_alive FILE [NAME]: the pid in FILE runs (and its comm matches NAME when given)
pid_alive() {
  local f="$1" name="${2:-}" pid
  [ -s "$f" ] || return 1
  pid="$(cat "$f" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  proc_running "$pid" || return 1
  if [ -n "$name" ]; then
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] || return 1
  fi
  return 0
}

# stop_pidfile FILE NAME [SECONDS]: TERM the process, wait, then KILL
stop_pidfile() {
  local f="$1" name="$2" secs="${3:-15}" pid i
  if pid_alive "$f" "$name"; then
    pid="$(cat "$f")"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < secs * 20; i++)); do
      proc_running "$pid" || break
      sleep 0.05
    done
    if proc_running "$pid"; then
      warn "$name ($pid) did not stop in ${secs}s; sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$f"
}

docker_ok() { timeout 5 docker info >/dev/null 2>&1; }
# on_b CMD...: run CMD (a command or one of these functions) against host B's dockerd
on_b() { DOCKER_HOST="$B_DOCKER_HOST" "$@"; }
docker_b_ok() { [ -S "$B_DOCKER_SOCK" ] && on_b docker_ok; }
registry_ok() { curl -fsS -m 2 "http://${REGISTRY}/v2/" >/dev/null 2>&1; }
# registry_digest TAG -> prints the manifest digest of the tag or nothing
registry_digest() {
  curl -fsSI -m 5 -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://${REGISTRY}/v2/ankugo/jutsu-labs/manifests/$1" 2>/dev/null |
    tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}' || true
}
container_state() {
  local s
  s="$(docker inspect -f '{{.State.Status}}' "$1" 2>/dev/null)" || s=missing
  echo "${s:-missing}"
}
container_health() {
  local s
  s="$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$1" 2>/dev/null)" || s=missing
  echo "${s:-missing}"
}
pg_exec() { docker exec -i "$PG_CONTAINER" psql -X -q -v ON_ERROR_STOP=1 -U postgres "$@"; }
pg_query() { docker exec -i "$PG_CONTAINER" psql -X -At -v ON_ERROR_STOP=1 -U postgres "$@"; }
rand_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

production_only() {
  [ "${PRODUCTION_ONLY:-0}" = 1 ]
}
two_hosts() {
  [ "${TWO_HOSTS:-0}" = 1 ]
}
