#!/usr/bin/env bash
# Print each part of the jutsu-ops test lab as up/down. Exit 0 when every expected part is up.
set -uo pipefail
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
PRODUCTION_ONLY="$(cat "$LAB/production_only" 2>/dev/null || echo 0)"
TWO_HOSTS="$(cat "$LAB/two_hosts" 2>/dev/null || echo 0)"
# host B's rows: when the lab was built with --two-hosts, or when a part of B runs anyway
if [ "$TWO_HOSTS" = 1 ] || pid_alive "$LAB/dockerd-b.pid" dockerd || pid_alive "$LAB/sshd-b.pid" sshd; then SHOW_B=1; else SHOW_B=0; fi
bad=0
row() { # PART up|down DETAIL
  printf '%-20s %-5s %s\n' "$1" "$2" "${3:-}"
  [ "$2" = up ] || bad=1
}

if docker_ok; then
  if [ -f "$LAB/dockerd.ours" ] && pid_alive "$LAB/dockerd.pid" dockerd; then
    row dockerd up "pid $(cat "$LAB/dockerd.pid"), data root $DOCKER_ROOT"
  else row dockerd up "external daemon on /var/run/docker.sock"; fi
else row dockerd down; fi
if [ "$SHOW_B" = 1 ]; then
  if docker_b_ok; then
    row "dockerd B" up "pid $(cat "$LAB/dockerd-b.pid" 2>/dev/null || echo '?'), $B_DOCKER_HOST, data root $B_DOCKER_ROOT, bridge $B_BRIDGE"
  else row "dockerd B" down "$B_DOCKER_HOST"; fi
fi

if registry_ok; then
  row registry up "http://$REGISTRY latest=$(registry_digest latest | cut -c1-19) staging=$(registry_digest staging | cut -c1-19)"
else row registry down "http://$REGISTRY"; fi

if docker_ok && docker exec "$PG_CONTAINER" pg_isready -q -U postgres -h /var/run/postgresql 2>/dev/null; then
  row postgres up "$PG_CONTAINER 127.0.0.1:$PG_PORT dbs: $(pg_query -d postgres -c "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database WHERE datname LIKE 'jutsu%'")"
else row postgres down "$PG_CONTAINER"; fi

apps=("$PROD_CONTAINER:8001")
[ "$PRODUCTION_ONLY" = 1 ] || apps+=("$STAGING_CONTAINER:8002")
for a in "${apps[@]}"; do
  name="${a%%:*}" port="${a##*:}" on="" where=""
  if [ "$name" = "$STAGING_CONTAINER" ] && [ "$TWO_HOSTS" = 1 ]; then on=on_b where=" (host B)"; fi
  st="$($on container_state "$name")" h="$($on container_health "$name")"
  rev="$(curl -fsS -m 2 "http://127.0.0.1:$port/api/health" 2>/dev/null | sed -n 's/.*"revision":"\([0-9a-f]\{0,12\}\).*/\1/p')"
  if [ "$st" = running ] && [ "$h" = healthy ]; then row "$name" up "health=$h rev=$rev 127.0.0.1:$port$where"
  else row "$name" down "state=$st health=$h$where"; fi
done

if pid_alive "$LAB/sshd.pid" sshd; then
  row sshd up "127.0.0.1:$SSH_PORT (ssh -F $LAB/ssh/config $SSH_ALIAS); host tools: docker=$([ -e "$HOSTBIN/docker" ] && echo yes || echo no) psql=$([ -e "$HOSTBIN/psql" ] && echo yes || echo no)"
else row sshd down "127.0.0.1:$SSH_PORT"; fi
if [ "$SHOW_B" = 1 ]; then
  if pid_alive "$LAB/sshd-b.pid" sshd; then
    row "sshd B" up "127.0.0.1:$B_SSH_PORT (ssh -F $LAB/ssh/config $B_SSH_ALIAS), DOCKER_HOST=$B_DOCKER_HOST"
  else row "sshd B" down "127.0.0.1:$B_SSH_PORT"; fi
fi

if pid_alive "$LAB/cron.pid" cron || pgrep -x cron >/dev/null 2>&1; then
  row cron up "$(crontab -l 2>/dev/null | grep -c 'sync_staging.sh') sync schedule line(s)"
else row cron down; fi

if git --git-dir="$ORIGIN" rev-parse -q --verify refs/heads/main >/dev/null 2>&1; then
  row origin up "$ORIGIN main=$(git --git-dir="$ORIGIN" rev-parse --short=12 main) staging=$(git --git-dir="$ORIGIN" rev-parse -q --verify --short=12 staging 2>/dev/null || echo none)"
else row origin down "$ORIGIN"; fi
printf '%-20s %s\n' "ci (last)" "$(tail -n 1 "$LAB/ci.log" 2>/dev/null || echo none)"
exit "$bad"
