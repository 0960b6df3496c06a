#!/usr/bin/env bash
# Stand up (or check and repair) the jutsu-ops test lab: a simulated Unraid host built from real programs.
# Usage: up.sh [--two-hosts] [--production-only] [--keep-state] [--recreate] [--rebuild-images] [-h]
# By default a rerun also puts the lab back "as built" (origin refs, registry tags, containers, databases,
# sync script/log, host tools); --keep-state only starts or creates what is missing. --two-hosts adds host B
# (own dockerd + sshd on 127.0.0.1:2223) running the staging container; without it B is stopped. See README.md.
set -euo pipefail

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
# shellcheck source=host-b.sh
. "$LAB_SRC/host-b.sh"

# one up.sh/down.sh at a time (flock -o: the daemons started below do not inherit the lock)
if [ "${JUTSU_LAB_LOCKED:-}" != "$LAB" ]; then
  JUTSU_LAB_LOCKED="$LAB" exec flock -o -w 900 "$LAB.lock" bash "${BASH_SOURCE[0]}" "$@"
fi
# Close every descriptor inherited from the caller (e.g. a test runner's `flock` on /tmp/jutsu-e2e.lock):
# a daemon started below would otherwise keep that lock held for as long as it lives.
for fd_path in /proc/$$/fd/*; do
  fd_num=${fd_path##*/}
  if [ "$fd_num" -gt 2 ] 2>/dev/null && [ "$fd_num" != 255 ]; then eval "exec $fd_num>&-" 2>/dev/null || true; fi
done

PRODUCTION_ONLY="${JUTSU_LAB_PRODUCTION_ONLY:-0}"
TWO_HOSTS="${JUTSU_LAB_TWO_HOSTS:-0}"
RECREATE=0
REBUILD=0
KEEP_STATE="${JUTSU_LAB_KEEP_STATE:-0}"
for arg in "$@"; do
  case "$arg" in
    --production-only) PRODUCTION_ONLY=1 ;;
    --two-hosts) TWO_HOSTS=1 ;;
    --recreate) RECREATE=1 ;;
    --keep-state) KEEP_STATE=1 ;;
    --rebuild-images) REBUILD=1 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) die args "unknown option: $arg" ;;
  esac
done
[ "$PRODUCTION_ONLY" = 1 ] || PRODUCTION_ONLY=0
[ "$TWO_HOSTS" = 1 ] || TWO_HOSTS=0

T0=$(date +%s%N)
elapsed() { echo "$(( ($(date +%s%N) - T0) / 1000000 ))ms"; }

[ "$(id -u)" = 0 ] || die preflight "must run as root"
for c in dockerd docker docker-registry sshd ssh ssh-keygen busybox git curl jq cron flock setsid timeout; do
  command -v "$c" >/dev/null 2>&1 || die preflight "missing command: $c (see test/lab/PACKAGES)"
done
[ -x "$PGBIN/postgres" ] || die preflight "PostgreSQL 15 binaries not found in $PGBIN"

mkdir -p "$LAB" "$LAB/build" "$LAB/ci" "$LAB/git" "$LAB/ssh" "$LAB/registry" "$LAB/baseline"
chmod 700 "$LAB/baseline"
chmod 755 "$LAB"
echo "$PRODUCTION_ONLY" > "$LAB/production_only"
echo "$TWO_HOSTS" > "$LAB/two_hosts"
log "lab dir $LAB$( production_only && echo ' (production only)')$( two_hosts && echo ' (two hosts)')"

# ---------------------------------------------------------------- baseline ("as built") records
# $LAB/baseline/NAME holds one value: origin sha, registry digests, container ids, database fingerprints.
baseline_get() { cat "$LAB/baseline/$1" 2>/dev/null || true; }
baseline_set() { printf '%s\n' "$2" > "$LAB/baseline/$1"; }
restoring() { [ "$KEEP_STATE" != 1 ]; }

# ---------------------------------------------------------------- secrets
ensure_secrets() {
  local f="$LAB/secrets.env"
  [ -f "$f" ] || : > "$f"
  chmod 600 "$f"
  add() { grep -q "^$1=" "$f" || echo "$1=$2" >> "$f"; }
  add JUTSU_LAB_PG_PASSWORD "${JUTSU_LAB_PG_PASSWORD:-$(rand_hex 16)}"
  add JUTSU_LAB_PG_SUPERUSER_PASSWORD "$(rand_hex 16)"
  add JUTSU_LAB_PROD_SECRET_KEY "$(rand_hex 32)"
  add JUTSU_LAB_STAGING_SECRET_KEY "$(rand_hex 32)"
  add JUTSU_LAB_ADMIN_PASSWORD "$(rand_hex 12)"
  add JUTSU_LAB_SCHWAB_CLIENT_ID "$(rand_hex 16)"
  add JUTSU_LAB_SCHWAB_CLIENT_SECRET "$(rand_hex 24)"
  # shellcheck source=/dev/null
  . "$f"
  [ "$JUTSU_LAB_PROD_SECRET_KEY" != "$JUTSU_LAB_STAGING_SECRET_KEY" ] || die secrets "SECRET_KEYs must differ"
}
ensure_secrets

# ---------------------------------------------------------------- dockerd
ensure_dockerd() {
  if docker_ok; then
    if pid_alive "$LAB/dockerd.pid" dockerd && [ -f "$LAB/dockerd.ours" ]; then
      log "dockerd: up (pid $(cat "$LAB/dockerd.pid"))"
    else
      log "dockerd: reusing the daemon already on /var/run/docker.sock"
    fi
    return
  fi
  if pid_alive "$LAB/dockerd.pid" dockerd; then
    log "dockerd: pid $(cat "$LAB/dockerd.pid") exists but does not answer yet; waiting"
  else
    rm -f "$LAB/dockerd.pid" "$LAB/dockerd.ours"
    mkdir -p "$DOCKER_ROOT"
    # log rotation like Unraid's default Docker settings, so a log flood cannot fill the disk
    setsid dockerd --data-root "$DOCKER_ROOT" --pidfile "$LAB/dockerd.pid" \
      --log-opt max-size=50m --log-opt max-file=1 </dev/null >>"$LAB/dockerd.log" 2>&1 &
    echo $! > "$LAB/dockerd.ours"
  fi
  local i
  for ((i = 0; i < 600; i++)); do
    docker_ok && break
    if [ -f "$LAB/dockerd.ours" ] && ! kill -0 "$(cat "$LAB/dockerd.ours")" 2>/dev/null; then
      tail -n 20 "$LAB/dockerd.log" >&2
      die dockerd "dockerd exited; see $LAB/dockerd.log"
    fi
    sleep 0.1
  done
  docker_ok || die dockerd "docker info does not answer after 60s; see $LAB/dockerd.log"
  log "dockerd: started (data root $DOCKER_ROOT) [$(elapsed)]"
}
ensure_dockerd

# ---------------------------------------------------------------- registry
ensure_registry() {
  mkdir -p "$LAB/registry/data"
  cat > "$LAB/registry/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $LAB/registry/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:${REG_PORT}
  secret: jutsu-lab-registry
EOF
  if registry_ok; then
    log "registry: up on $REGISTRY"
    return
  fi
  stop_pidfile "$LAB/registry.pid" docker-registry 5
  setsid docker-registry serve "$LAB/registry/config.yml" </dev/null >>"$LAB/registry.log" 2>&1 &
  echo $! > "$LAB/registry.pid"
  local i
  for ((i = 0; i < 100; i++)); do
    registry_ok && break
    kill -0 "$(cat "$LAB/registry.pid")" 2>/dev/null || { tail -n 20 "$LAB/registry.log" >&2; die registry "docker-registry exited; see $LAB/registry.log"; }
    sleep 0.1
  done
  registry_ok || die registry "no answer on http://$REGISTRY/v2/"
  log "registry: started on $REGISTRY [$(elapsed)]"
}
ensure_registry

# ---------------------------------------------------------------- base image
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }
ensure_base_image() {
  if image_exists "$BASE_IMAGE" && [ "$REBUILD" = 0 ]; then
    log "base image: $BASE_IMAGE cached"
    return
  fi
  local d="$LAB/build/base" a
  rm -rf "$d"
  mkdir -p "$d"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,var/tmp,usr/share/zoneinfo/America,home}
  chmod 1777 "$d/tmp" "$d/var/tmp"
  chmod 700 "$d/root"
  cp /bin/busybox "$d/bin/busybox"
  for a in $(/bin/busybox --list); do
    [ "$a" = busybox ] || ln -sf busybox "$d/bin/$a"
  done
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'daemon:x:1:1:daemon:/usr/sbin:/bin/false' \
    'www-data:x:33:33:www-data:/var/www:/bin/false' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' > "$d/etc/passwd"
  printf '%s\n' 'root:x:0:' 'daemon:x:1:' 'www-data:x:33:' 'nogroup:x:65534:' > "$d/etc/group"
  # time zones the lab uses (TZ=America/New_York in the containers)
  cp -L /usr/share/zoneinfo/America/New_York "$d/usr/share/zoneinfo/America/New_York"
  cp -L /usr/share/zoneinfo/UTC "$d/usr/share/zoneinfo/UTC"
  tar -C "$d" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'CMD ["/bin/sh"]' - "$BASE_IMAGE" >/dev/null || die base-image "docker import failed"
  rm -rf "$d"
  log "base image: built $BASE_IMAGE [$(elapsed)]"
}
ensure_base_image

# ---------------------------------------------------------------- postgres image
ensure_pg_image() {
  if image_exists "$PG_IMAGE" && [ "$REBUILD" = 0 ]; then
    log "postgres image: $PG_IMAGE cached"
    return
  fi
  local d="$LAB/build/postgres" r f lib
  rm -rf "$d"
  r="$d/rootfs"
  mkdir -p "$r/usr/lib/postgresql" "$r/usr/share/postgresql" "$r/usr/share/zoneinfo" "$r/usr/local/bin" \
    "$r/etc" "$r/var/lib/postgresql/data" "$r/var/run/postgresql"
  cp -a /usr/lib/postgresql/15 "$r/usr/lib/postgresql/15"
  cp -rL /usr/share/postgresql/15 "$r/usr/share/postgresql/15"
  cp -rL /usr/share/zoneinfo/. "$r/usr/share/zoneinfo/"
  # every library ldd lists for the binaries and for lib/*.so (ldd|awk may match nothing: guard it)
  for f in /usr/lib/postgresql/15/bin/* /usr/lib/postgresql/15/lib/*.so; do
    { ldd "$f" 2>/dev/null || true; } | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'
  done | sort -u > "$d/libs.txt"
  [ -s "$d/libs.txt" ] || die postgres-image "ldd found no libraries"
  while read -r lib; do
    cp -L --parents "$lib" "$r/"
  done < "$d/libs.txt"
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'postgres:x:999:999:PostgreSQL administrator:/var/lib/postgresql:/bin/sh' \
    'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' > "$r/etc/passwd"
  printf '%s\n' 'root:x:0:' 'postgres:x:999:' 'nogroup:x:65534:' > "$r/etc/group"
  cp "$LAB_SRC/images/postgres/docker-entrypoint.sh" "$r/usr/local/bin/docker-entrypoint.sh"
  chmod 755 "$r/usr/local/bin/docker-entrypoint.sh"
  cp "$LAB_SRC/images/postgres/Dockerfile" "$d/Dockerfile"
  docker build -q -t "$PG_IMAGE" "$d" >"$LAB/build/postgres-build.log" 2>&1 ||
    { tail -n 20 "$LAB/build/postgres-build.log" >&2; die postgres-image "docker build failed; see $LAB/build/postgres-build.log"; }
  rm -rf "$d"
  log "postgres image: built $PG_IMAGE ($(wc -l < "$LAB/build/postgres-build.log" | tr -d ' ') log lines) [$(elapsed)]"
}
ensure_pg_image

# ---------------------------------------------------------------- postgres container + databases
pg_ready() { docker exec "$PG_CONTAINER" pg_isready -q -U postgres -h /var/run/postgresql >/dev/null 2>&1; }
ensure_pg_container() {
  local state port
  state="$(container_state "$PG_CONTAINER")"
  if [ "$state" != missing ]; then
    port="$(docker port "$PG_CONTAINER" 5432/tcp 2>/dev/null | head -n1 || true)"
    if [ "$port" != "127.0.0.1:$PG_PORT" ] && [ "$state" = running ]; then
      log "postgres: published on '$port', want 127.0.0.1:$PG_PORT; recreating (data volume kept)"
      docker rm -f "$PG_CONTAINER" >/dev/null
      state=missing
    fi
  fi
  case "$state" in
    missing)
      docker run -d --name "$PG_CONTAINER" --restart unless-stopped \
        -p "127.0.0.1:$PG_PORT:5432" -v "$PG_VOLUME:/var/lib/postgresql/data" \
        -e POSTGRES_USER=postgres -e "POSTGRES_PASSWORD=$JUTSU_LAB_PG_SUPERUSER_PASSWORD" -e TZ=America/New_York \
        "$PG_IMAGE" >/dev/null || die postgres "docker run $PG_CONTAINER failed"
      log "postgres: created $PG_CONTAINER on 127.0.0.1:$PG_PORT (volume $PG_VOLUME)" ;;
    running) ;;
    *) docker start "$PG_CONTAINER" >/dev/null || die postgres "docker start $PG_CONTAINER failed"
       log "postgres: started existing $PG_CONTAINER" ;;
  esac
  local i
  for ((i = 0; i < 600; i++)); do
    pg_ready && break
    [ "$(container_state "$PG_CONTAINER")" = exited ] && break
    sleep 0.1
  done
  pg_ready || { docker logs --tail 30 "$PG_CONTAINER" >&2 || true; die postgres "$PG_CONTAINER is not accepting connections"; }
}
ensure_pg_container

db_exists() { [ "$(pg_query -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$1'")" = 1 ]; }
db_seeded() { [ "$(pg_query -d "$1" -c "SELECT to_regclass('public.market_data') IS NOT NULL")" = t ]; }
# db_fingerprint DB: tables, row counts and id sums, a digest of the small tables; "error" when a query fails
db_fingerprint() {
  local extra=""
  [ "$1" = "$STAGING_DB" ] && extra="UNION ALL SELECT 'ba:' || count(*) || ':' || coalesce(sum(market_data_id), 0) FROM backtest_annotations"
  pg_query -d "$1" 2>/dev/null <<SQL || echo error
SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
  SELECT 'tables:' || string_agg(tablename, ',' ORDER BY tablename) AS x FROM pg_tables WHERE schemaname = 'public'
  UNION ALL SELECT 'md:' || count(*) || ':' || coalesce(sum(id), 0) || ':' || coalesce(sum(close), 0) FROM market_data
  UNION ALL SELECT 'ps:' || count(*) || ':' || coalesce(sum(id), 0) || ':' || coalesce(sum(total_equity), 0) FROM performance_snapshots
  UNION ALL SELECT 'pos:' || md5(coalesce(string_agg(symbol || mode || quantity || avg_cost, ',' ORDER BY id), '')) FROM positions
  UNION ALL SELECT 'lt:' || md5(coalesce(string_agg(order_id || quantity || price, ',' ORDER BY id), '')) FROM live_trades
  UNION ALL SELECT 'ss:' || md5(coalesce(string_agg(key || '=' || coalesce(value, ''), ',' ORDER BY key), '')) FROM system_state
  UNION ALL SELECT 'co:' || md5(coalesce(string_agg(key || '=' || value, ',' ORDER BY key), '')) FROM config_overrides
  $extra
) f;
SQL
}
ensure_databases() {
  pg_exec -d postgres >/dev/null <<SQL || die postgres "cannot create role jutsu"
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'jutsu') THEN CREATE ROLE jutsu LOGIN; END IF;
END \$\$;
ALTER ROLE jutsu WITH LOGIN PASSWORD '$JUTSU_LAB_PG_PASSWORD';
SQL
  local db seedhash
  seedhash="$(cat "$LAB_SRC"/sql/*.sql | sha256sum | cut -c1-16)-$MARKET_ROWS"
  if restoring && [ -n "$(baseline_get seed-hash)" ] && [ "$(baseline_get seed-hash)" != "$seedhash" ]; then
    for db in "$STAGING_DB" "$PROD_DB"; do
      db_exists "$db" && pg_exec -d postgres -c "DROP DATABASE $db WITH (FORCE)" >/dev/null
    done
    log "postgres: seed SQL or row count changed; reseeding both databases"
  fi
  baseline_set seed-hash "$seedhash"
  for db in "$PROD_DB" "$STAGING_DB"; do
    if [ "$db" = "$STAGING_DB" ] && production_only; then
      if db_exists "$db"; then
        pg_exec -d postgres -c "DROP DATABASE $db WITH (FORCE)" >/dev/null || die postgres "cannot drop $db"
        log "postgres: dropped $db (production-only lab)"
      fi
      rm -f "$LAB/baseline/fp-$db"
      continue
    fi
    if db_exists "$db" && db_seeded "$db" && restoring; then
      local fp base
      fp="$(db_fingerprint "$db")"
      base="$(baseline_get "fp-$db")"
      if [ -z "$base" ] && [ "$fp" != error ]; then
        baseline_set "fp-$db" "$fp"
      elif [ "$fp" != "$base" ]; then
        pg_exec -d postgres -c "DROP DATABASE $db WITH (FORCE)" >/dev/null || die postgres "cannot drop drifted $db"
        log "postgres: $db differs from the lab as built; dropped it to reseed"
      fi
    fi
    if ! db_exists "$db"; then
      pg_exec -d postgres >/dev/null <<SQL || die postgres "cannot create database $db"
CREATE DATABASE $db WITH OWNER jutsu TEMPLATE template0 ENCODING 'UTF8';
GRANT ALL PRIVILEGES ON DATABASE $db TO jutsu;
SQL
    fi
    if db_seeded "$db"; then
      continue
    fi
    if [ "$db" = "$PROD_DB" ]; then
      { echo 'BEGIN;'; echo 'SET ROLE jutsu;'; cat "$LAB_SRC/sql/schema.sql" "$LAB_SRC/sql/seed-production.sql"
        echo 'COMMIT;'; } | pg_exec -d "$db" -v rows="$MARKET_ROWS" >/dev/null || die postgres "seeding $db failed"
    else
      db_seeded "$PROD_DB" || die postgres "cannot seed $db before $PROD_DB"
      # staging's market_data/performance_snapshots start as a subset of production's (same ids, so FKs hold)
      { echo 'BEGIN;'; echo 'SET ROLE jutsu;'; cat "$LAB_SRC/sql/schema.sql"
        echo "\\copy market_data FROM PROGRAM 'psql -X -At -U postgres -d $PROD_DB -c \"COPY (SELECT * FROM market_data WHERE ts >= now() - make_interval(days => 365) ORDER BY id) TO STDOUT\"'"
        echo "\\copy performance_snapshots FROM PROGRAM 'psql -X -At -U postgres -d $PROD_DB -c \"COPY (SELECT * FROM performance_snapshots WHERE snapshot_time >= now() - make_interval(days => 60) ORDER BY id) TO STDOUT\"'"
        cat "$LAB_SRC/sql/seed-staging.sql"; echo 'COMMIT;'; } | pg_exec -d "$db" >/dev/null || die postgres "seeding $db failed"
    fi
    baseline_set "fp-$db" "$(db_fingerprint "$db")"
    log "postgres: seeded $db ($(pg_query -d "$db" -c 'SELECT count(*) FROM market_data') market_data rows) [$(elapsed)]"
  done
  PGPASSWORD="$JUTSU_LAB_PG_PASSWORD" "$PGBIN/psql" -X -At -h 127.0.0.1 -p "$PG_PORT" -U jutsu -d "$PROD_DB" \
    -c 'SELECT 1' >/dev/null 2>&1 || die postgres "jutsu cannot log in over TCP 127.0.0.1:$PG_PORT with the lab password"
  log "postgres: up on 127.0.0.1:$PG_PORT (scram over TCP verified) [$(elapsed)]"
}
ensure_databases

# ---------------------------------------------------------------- origin + fake CI
ensure_origin() {
  if ! git --git-dir="$ORIGIN" rev-parse --verify -q refs/heads/main >/dev/null 2>&1; then
    rm -rf "$ORIGIN"
    git init -q --bare -b main "$ORIGIN"
    local w="$LAB/build/app-seed"
    rm -rf "$w"
    mkdir -p "$w"
    cp -a "$LAB_SRC/app/." "$w/"
    git -C "$w" init -q -b main
    git -C "$w" add -A
    GIT_AUTHOR_NAME="Jutsu Labs" GIT_AUTHOR_EMAIL="dev@jutsu-labs.local" \
    GIT_COMMITTER_NAME="Jutsu Labs" GIT_COMMITTER_EMAIL="dev@jutsu-labs.local" \
      git -C "$w" -c commit.gpgsign=false commit -q -m "Initial commit: jutsu-labs app and docker-publish workflow"
    git -C "$w" push -q "$ORIGIN" main:main
    rm -rf "$w"
    baseline_set origin-sha "$(git --git-dir="$ORIGIN" rev-parse refs/heads/main)"
    log "origin: created $ORIGIN (main)"
  fi
  local base
  base="$(baseline_get origin-sha)"
  if [ -z "$base" ] || ! git --git-dir="$ORIGIN" cat-file -e "$base^{commit}" 2>/dev/null; then
    base="$(git --git-dir="$ORIGIN" rev-list --max-parents=0 refs/heads/main | tail -n1)"
    baseline_set origin-sha "$base"
  fi
  BASE_SHA="$base"
  if restoring && [ "$(git --git-dir="$ORIGIN" rev-parse refs/heads/main)" != "$BASE_SHA" ]; then
    git --git-dir="$ORIGIN" update-ref refs/heads/main "$BASE_SHA"
    log "origin: main reset to the lab's initial commit ${BASE_SHA:0:12}"
  fi
  git --git-dir="$ORIGIN" symbolic-ref HEAD refs/heads/main
  if production_only; then
    if git --git-dir="$ORIGIN" rev-parse --verify -q refs/heads/staging >/dev/null; then
      git --git-dir="$ORIGIN" branch -q -D staging
      log "origin: deleted branch staging (production-only lab)"
    fi
  elif ! git --git-dir="$ORIGIN" rev-parse --verify -q refs/heads/staging >/dev/null; then
    git --git-dir="$ORIGIN" branch staging main
    log "origin: created branch staging from main"
  elif restoring && [ "$(git --git-dir="$ORIGIN" rev-parse refs/heads/staging)" != "$BASE_SHA" ]; then
    git --git-dir="$ORIGIN" update-ref refs/heads/staging "$BASE_SHA"
    log "origin: staging reset to the lab's initial commit ${BASE_SHA:0:12}"
  fi
  # the fake CI
  cp "$LAB_SRC/ci/ci-job.sh" "$LAB/ci/ci-job.sh"
  chmod 755 "$LAB/ci/ci-job.sh"
  printf 'CI_LOG=%q\nCI_DELAY=%q\nREGISTRY_PORT=%q\n' "$LAB/ci.log" "$CI_DELAY" "$REG_PORT" > "$LAB/ci/ci.env"
  sed "s#@LAB@#$LAB#g" "$LAB_SRC/ci/post-receive" > "$ORIGIN/hooks/post-receive"
  chmod 755 "$ORIGIN/hooks/post-receive"
  touch "$LAB/ci.log"
}
ensure_origin

# ---------------------------------------------------------------- initial images (built by the CI path)
wait_ci_idle() { # a CI job still running would push over the tags we restore
  local i
  for ((i = 0; i < 240; i++)); do
    pgrep -f "$LAB/ci/ci-job.sh" >/dev/null 2>&1 || return 0
    [ "$i" = 0 ] && log "ci: waiting for running CI jobs to finish"
    sleep 0.5
  done
  warn "CI jobs still running after 120s"
}
retag_registry() { # retag_registry DIGEST TAG: point TAG at an existing manifest
  local m="$LAB/build/manifest.json" ct='application/vnd.docker.distribution.manifest.v2+json'
  curl -fsS -m 10 -H "Accept: $ct" -o "$m" "http://$REGISTRY/v2/ankugo/jutsu-labs/manifests/$1" 2>/dev/null &&
    curl -fsS -m 10 -X PUT -H "Content-Type: $ct" --data-binary "@$m" \
      "http://$REGISTRY/v2/ankugo/jutsu-labs/manifests/$2" >/dev/null 2>&1 &&
    [ "$(registry_digest "$2")" = "$1" ]
}
ensure_images() {
  local branch tag cur base
  restoring && wait_ci_idle
  if production_only; then # no :staging anywhere yet (a manifest shared with :latest is left alone)
    cur="$(registry_digest staging)"
    if [ -n "$cur" ] && [ "$cur" != "$(registry_digest latest)" ]; then
      curl -fsS -m 10 -X DELETE "http://$REGISTRY/v2/ankugo/jutsu-labs/manifests/$cur" >/dev/null 2>&1 &&
        log "registry: deleted :staging (production-only lab)" || warn "could not delete :staging from the registry"
    fi
    docker rmi "$IMAGE_REPO:staging" >/dev/null 2>&1 || true
  fi
  for branch in main staging; do
    [ "$branch" = staging ] && production_only && continue
    if [ "$branch" = main ]; then tag=latest; else tag=staging; fi
    cur="$(registry_digest "$tag")"
    base="$(baseline_get "digest-$tag")"
    if [ -n "$cur" ] && { [ "$cur" = "$base" ] || [ -z "$base" ] || ! restoring; }; then
      [ -z "$base" ] && baseline_set "digest-$tag" "$cur"
      continue
    fi
    if [ -n "$base" ] && retag_registry "$base" "$tag"; then
      log "registry: :$tag restored to the lab's image ${base:0:19}"
      continue
    fi
    log "ci: building :$tag from $branch ${BASE_SHA:0:12} (synchronous first build)"
    "$LAB/ci/ci-job.sh" --force "$ORIGIN" "refs/heads/$branch" "$BASE_SHA" ||
      { tail -n 5 "$LAB/ci.log" >&2; die ci "building :$tag failed; see $LAB/ci.log"; }
    cur="$(registry_digest "$tag")"
    [ -n "$cur" ] || die ci ":$tag is not in the registry after the CI job"
    baseline_set "digest-$tag" "$cur"
  done
  log "registry: latest=$(registry_digest latest | cut -c1-19)$(production_only || echo " staging=$(registry_digest staging | cut -c1-19)") [$(elapsed)]"
}
ensure_images

# ---------------------------------------------------------------- host B (--two-hosts)
# B's engine is up before staging moves there, and gone before staging comes back to A (both publish 8002/3002).
if two_hosts; then
  ensure_dockerd_b
  log "host B: engine up [$(elapsed)]"
elif host_b_running; then
  log "host B: stopping (without --two-hosts the lab is one host)"
  stop_host_b
  log "host B: stopped [$(elapsed)]"
fi

# ---------------------------------------------------------------- app containers
# ensure_app works on the engine DOCKER_HOST names: host A's by default, host B's with `on_b ensure_app ...`.
engine() { if [ "${DOCKER_HOST:-}" = "$B_DOCKER_HOST" ]; then echo B; else echo A; fi; }
on_host() { [ "$(engine)" = A ] || echo " on host $(engine)"; }
app_key() { if [ "$(engine)" = A ]; then echo "container-$1"; else echo "b-container-$1"; fi; }
ensure_app() { # NAME TAG API UI APPDIR token(yes/no) ENV...
  local name="$1" tag="$2" api="$3" ui="$4" dir="$5" tokens="$6" state key
  key="$(app_key "$name")"
  shift 6
  local -a vols=(-v "$dir/config:/app/config" -v "$dir/logs:/app/logs" -v "$dir/output:/app/output")
  mkdir -p "$dir/config" "$dir/logs" "$dir/output"
  if [ "$tokens" = yes ]; then
    mkdir -p "$dir/tokens"
    chmod 700 "$dir/tokens"
    [ -f "$dir/tokens/schwab_token.json" ] || {
      printf '{"token_type":"Bearer","access_token":"lab-%s","refresh_token":"lab-%s","expires_in":1800}\n' \
        "$(rand_hex 12)" "$(rand_hex 12)" > "$dir/tokens/schwab_token.json"
      chmod 600 "$dir/tokens/schwab_token.json"; }
    vols+=(-v "$dir/tokens:/app/tokens")
  fi
  state="$(container_state "$name")"
  if [ "$state" != missing ]; then
    local why="" id
    id="$(docker inspect -f '{{.Id}}' "$name")"
    if [ "$RECREATE" = 1 ]; then why="--recreate"
    elif restoring && [ "$id" != "$(baseline_get "$key")" ]; then why="it is not the container the lab created"
    elif restoring && [ "$(container_health "$name")" = unhealthy ]; then why="it is unhealthy"
    fi
    if [ -n "$why" ]; then
      docker rm -f "$name" >/dev/null
      state=missing
      log "$name: recreating$(on_host) ($why)"
    elif restoring && [ "$(docker image inspect -f '{{.Id}}' "$IMAGE_REPO:$tag" 2>/dev/null || true)" != "$(docker inspect -f '{{.Image}}' "$name")" ]; then
      docker pull -q "$IMAGE_REPO:$tag" >/dev/null 2>&1 || true
      log "$name: local tag $IMAGE_REPO:$tag re-pulled$(on_host)"
    fi
  fi
  case "$state" in
    missing)
      docker pull -q "$IMAGE_REPO:$tag" >/dev/null || die "$name" "docker pull $IMAGE_REPO:$tag failed"
      docker run -d --name "$name" --restart unless-stopped --network bridge \
        -p "127.0.0.1:$api:8000" -p "127.0.0.1:$ui:3000" "${vols[@]}" \
        --label net.unraid.docker.managed=dockerman \
        --label "net.unraid.docker.webui=http://[IP]:[PORT:$ui]/" \
        "$@" "$IMAGE_REPO:$tag" >/dev/null || die "$name" "docker run failed"
      baseline_set "$key" "$(docker inspect -f '{{.Id}}' "$name")"
      log "$name: created$(on_host) from $IMAGE_REPO:$tag on 127.0.0.1:$api/$ui" ;;
    running) ;;
    *) docker start "$name" >/dev/null || die "$name" "docker start failed"
       log "$name: started existing container$(on_host)" ;;
  esac
}
common_env=(-e DATABASE_TYPE=postgresql -e POSTGRES_HOST=tower.local -e "POSTGRES_PORT=$PG_PORT"
  -e POSTGRES_USER=jutsu -e "POSTGRES_PASSWORD=$JUTSU_LAB_PG_PASSWORD" -e AUTH_REQUIRED=true
  -e "ADMIN_PASSWORD=$JUTSU_LAB_ADMIN_PASSWORD" -e TZ=America/New_York)
ensure_app "$PROD_CONTAINER" latest 8001 3001 "$APPDATA/jutsu" yes "${common_env[@]}" \
  -e "POSTGRES_DATABASE=$PROD_DB" -e "SECRET_KEY=$JUTSU_LAB_PROD_SECRET_KEY" \
  -e SCHWAB_ENABLED=true -e PAPER_TRADING_ONLY=false -e ENVIRONMENT=production \
  -e "SCHWAB_CLIENT_ID=$JUTSU_LAB_SCHWAB_CLIENT_ID" -e "SCHWAB_CLIENT_SECRET=$JUTSU_LAB_SCHWAB_CLIENT_SECRET"
ensure_staging() { # the staging container, on the engine DOCKER_HOST names
  ensure_app "$STAGING_CONTAINER" staging 8002 3002 "$APPDATA/jutsu-staging" no "${common_env[@]}" \
    -e "POSTGRES_DATABASE=$STAGING_DB" -e "SECRET_KEY=$JUTSU_LAB_STAGING_SECRET_KEY" \
    -e SCHWAB_ENABLED=false -e PAPER_TRADING_ONLY=true -e ENVIRONMENT=staging -e LOG_LEVEL=DEBUG
}
remove_staging() { # REASON: no staging container on the engine DOCKER_HOST names
  if [ "$(container_state "$STAGING_CONTAINER")" != missing ]; then
    docker rm -f "$STAGING_CONTAINER" >/dev/null
    log "$STAGING_CONTAINER: removed from host $(engine) ($1)"
  fi
  rm -f "$LAB/baseline/$(app_key "$STAGING_CONTAINER")"
}
if two_hosts && restoring; then # host B as built runs the staging container and nothing else
  for c in $(on_b docker ps -a --format '{{.Names}}'); do
    [ "$c" = "$STAGING_CONTAINER" ] && ! production_only && continue
    on_b docker rm -f "$c" >/dev/null
    log "host B: removed container $c (not part of the lab as built)"
  done
fi
if production_only; then
  remove_staging "production-only lab"
  two_hosts && on_b remove_staging "production-only lab"
  two_hosts && on_b docker rmi "$IMAGE_REPO:staging" >/dev/null 2>&1 || true
  rm -rf "$APPDATA/jutsu-staging"
elif two_hosts; then
  remove_staging "it runs on host B"
  # host A never ran staging: no local :staging tag there either (a pull on the wrong host shows up)
  if restoring && docker image inspect "$IMAGE_REPO:staging" >/dev/null 2>&1; then
    docker rmi "$IMAGE_REPO:staging" >/dev/null 2>&1 && log "host A: local tag $IMAGE_REPO:staging removed" || true
  fi
  on_b ensure_staging
else
  ensure_staging
fi

if restoring; then # images a test pulled and the lab no longer uses
  for img in $(docker images -q --filter dangling=true --filter "reference=$IMAGE_REPO"); do
    docker rmi "$img" >/dev/null 2>&1 || true
  done
  if two_hosts; then
    for img in $(on_b docker images -q --filter dangling=true --filter "reference=$IMAGE_REPO"); do
      on_b docker rmi "$img" >/dev/null 2>&1 || true
    done
  fi
fi

# ---------------------------------------------------------------- sync script, its log, cron
write_sync_history() { # realistic past runs: last success < 26 h ago, one older failure
  local f="$1" last d i t rows perf
  rows="$(pg_query -d "$PROD_DB" -c 'SELECT count(*) FROM market_data')"
  perf="$(pg_query -d "$PROD_DB" -c 'SELECT count(*) FROM performance_snapshots')"
  last="$(TZ=America/New_York date -d 'today 02:00' +%s)"
  [ "$last" -le "$(date +%s)" ] || last=$((last - 86400))
  : > "$f"
  for i in 4 3 2 1 0; do
    d=$((last - i * 86400))
    ts() { TZ=America/New_York date -d "@$((d + $1))" '+%Y-%m-%d %H:%M:%S'; }
    echo "$(ts 1) - Starting staging sync" >> "$f"
    echo "$(ts 1) - Syncing table: market_data" >> "$f"
    if [ "$i" = 2 ]; then # the postgres container was down that night
      printf '%s\n' "psql: error: connection to server at \"localhost\" (::1), port $PG_PORT failed: Connection refused" \
        "	Is the server running on that host and accepting TCP/IP connections?" \
        "connection to server at \"localhost\" (127.0.0.1), port $PG_PORT failed: Connection refused" \
        "	Is the server running on that host and accepting TCP/IP connections?" >> "$f"
      continue
    fi
    local n
    for t in market_data performance_snapshots; do
      if [ "$t" = market_data ]; then n=$((rows - i * 8)); else n=$((perf - i)); fi
      [ "$t" = market_data ] || echo "$(ts 4) - Syncing table: $t" >> "$f"
      [ "$t" = market_data ] && echo 'NOTICE:  truncate cascades to table "backtest_annotations"' >> "$f"
      printf '%s\n' "TRUNCATE TABLE" SET SET SET SET SET " set_config " "------------" " " "(1 row)" "" \
        SET SET SET SET "COPY $n" " setval " "--------" "$(printf ' %6s' "$n")" "(1 row)" "" >> "$f"
      echo "$(ts 4) - $t: $(printf ' %5s' "$n") rows synced" >> "$f"
    done
    echo "$(ts 5) - Staging sync complete" >> "$f"
  done
}
ensure_sync() {
  local block
  if production_only; then
    rm -f "$SYNC_SCRIPT" "$SYNC_LOG"
  else
    mkdir -p "$(dirname "$SYNC_SCRIPT")" "$(dirname "$SYNC_LOG")"
    local want="$LAB/baseline/sync_staging.sh"
    sed -e "s/^export PGPASSWORD=\"<password>\"$/export PGPASSWORD=\"$JUTSU_LAB_PG_PASSWORD\"/" \
        -e "s/^PG_PORT=\"5423\"$/PG_PORT=\"$PG_PORT\"/" "$LAB_SRC/seed/sync_staging.sh" > "$want"
    grep -q "PGPASSWORD=\"$JUTSU_LAB_PG_PASSWORD\"" "$want" || die sync "could not set PGPASSWORD in the sync script"
    if [ ! -f "$SYNC_SCRIPT" ] || { restoring && ! cmp -s "$want" "$SYNC_SCRIPT"; }; then
      cp "$want" "$SYNC_SCRIPT"
      log "sync: installed $SYNC_SCRIPT"
    fi
    chmod 755 "$SYNC_SCRIPT"
    # past runs: rewritten when missing, changed since written, or written more than 20 h ago
    local kept="$LAB/baseline/staging_sync.log"
    if [ ! -s "$SYNC_LOG" ] || { restoring && { ! cmp -s "$kept" "$SYNC_LOG" ||
         [ $(( $(date +%s) - $(stat -c %Y "$kept") )) -gt 72000 ]; }; }; then
      write_sync_history "$SYNC_LOG"
      cp "$SYNC_LOG" "$kept"
      log "sync: wrote past runs to $SYNC_LOG"
    fi
  fi
  # root's crontab: keep foreign lines, (re)write the lab block
  block="# jutsu-lab BEGIN (managed by test/lab/up.sh)
PATH=$HOSTBIN
TZ=America/New_York
0 2 * * * $SYNC_SCRIPT
# jutsu-lab END"
  local cur new
  cur="$(crontab -l 2>/dev/null | sed '/^# jutsu-lab BEGIN/,/^# jutsu-lab END/d' || true)"
  if production_only; then new="$cur"; else new="$(printf '%s\n%s' "$cur" "$block" | sed '/./,$!d')"; fi
  if [ "$(crontab -l 2>/dev/null || true)" != "$new" ]; then
    if [ -z "$new" ]; then crontab -r 2>/dev/null || true; else printf '%s\n' "$new" | crontab - || die cron "crontab install failed"; fi
  fi
  # cron daemon with TZ=America/New_York
  if pid_alive "$LAB/cron.pid" cron; then
    :
  elif pgrep -x cron >/dev/null 2>&1; then
    log "cron: reusing the cron daemon already running (pid $(pgrep -x cron | head -n1))"
  else
    setsid env TZ=America/New_York /usr/sbin/cron -f </dev/null >>"$LAB/cron.log" 2>&1 &
    echo $! > "$LAB/cron.pid"
    sleep 0.2
    pid_alive "$LAB/cron.pid" cron || die cron "cron did not start; see $LAB/cron.log"
    log "cron: started (pid $(cat "$LAB/cron.pid"), TZ=America/New_York)"
  fi
}
ensure_sync

# ---------------------------------------------------------------- sshd + the host's tool set
HOST_TOOLS=(bash sh docker curl jq flock timeout cat ls mkdir rmdir rm mv cp ln chmod chown chgrp stat sleep
  kill ps pgrep hostname env id whoami wc head tail sort uniq sha256sum md5sum base64 mktemp tee nohup setsid
  test '[' printf echo xargs find cut tr uname readlink realpath dirname basename touch date grep egrep fgrep
  sed awk gawk mawk gzip gunzip zcat tar du df free uptime nproc seq expr true false diff cmp od dd truncate
  sync pwd which logger getent tac comm join paste fold split stdbuf nice ionice less more openssl ssh scp
  crontab git-receive-pack git-upload-pack git-upload-archive)
ensure_hostbin() {
  local t p
  rm -rf "$HOSTBIN"
  mkdir -p "$HOSTBIN" "$PGCLIENT"
  for t in "${HOST_TOOLS[@]}"; do
    case "$t" in
      git-*) p="$(PATH=$SYS_PATH type -P git || true)" ;;
      *) p="$(PATH=$SYS_PATH type -P "$t" || true)" ;;
    esac
    [ -n "$p" ] && [ "${p:0:1}" = / ] && ln -sfn "$p" "$HOSTBIN/$t"
  done
  for t in psql pg_dump pg_restore pg_dumpall pg_isready; do
    ln -sfn "$PGBIN/$t" "$PGCLIENT/$t"
  done
}
# sshd_instance NAME PORT HOSTKEY CONFIG PIDFILE LOGFILE SETENV: write CONFIG, then start that sshd, or reload
# it when CONFIG changed. Host A and host B differ only in these (B adds DOCKER_HOST to SETENV).
sshd_instance() {
  local name="$1" port="$2" key="$3" cfg="$4" pidf="$5" logf="$6" setenv="$7" old=""
  [ -f "$cfg" ] && old="$(cat "$cfg")"
  cat > "$cfg" <<EOF
# jutsu-lab sshd (written by test/lab/up.sh)
ListenAddress 127.0.0.1:$port
HostKey $key
PidFile $pidf
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
UsePAM no
StrictModes no
AuthorizedKeysFile $LAB/ssh/authorized_keys
AllowStreamLocalForwarding yes
AllowTcpForwarding yes
X11Forwarding no
PrintMotd no
UseDNS no
MaxStartups 100:30:200
MaxSessions 100
ClientAliveInterval 30
LogLevel INFO
SetEnv $setenv
Subsystem sftp internal-sftp
EOF
  mkdir -p /run/sshd
  chmod 755 /run/sshd
  /usr/sbin/sshd -t -f "$cfg" || die "$name" "sshd_config test failed ($cfg)"
  if pid_alive "$pidf" sshd; then
    if [ "$old" != "$(cat "$cfg")" ]; then
      kill -HUP "$(cat "$pidf")"
      sleep 0.3
      log "$name: reloaded config"
    fi
  else
    rm -f "$pidf"
    /usr/sbin/sshd -f "$cfg" -E "$logf" || die "$name" "sshd failed to start; see $logf"
    local i
    for ((i = 0; i < 50; i++)); do pid_alive "$pidf" sshd && break; sleep 0.1; done
    pid_alive "$pidf" sshd || die "$name" "sshd did not write $pidf; see $logf"
    log "$name: started on 127.0.0.1:$port (pid $(cat "$pidf"))"
  fi
}
ssh_client_entry() { # ALIAS PORT: one Host block of $LAB/ssh/config
  cat <<EOF
Host $1
  HostName 127.0.0.1
  Port $2
  User root
  IdentityFile $LAB/ssh/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $LAB/ssh/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
  LogLevel ERROR
EOF
}
ensure_sshd() {
  local s="$LAB/ssh" b="$LAB/ssh-b"
  chmod 700 "$s"
  [ -f "$s/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C jutsu-lab-host -f "$s/ssh_host_ed25519_key"
  [ -f "$s/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C jutsu-lab-client -f "$s/id_ed25519"
  chmod 600 "$s/ssh_host_ed25519_key" "$s/id_ed25519"
  touch "$s/authorized_keys"
  grep -qxF "$(cat "$s/id_ed25519.pub")" "$s/authorized_keys" || cat "$s/id_ed25519.pub" >> "$s/authorized_keys"
  chmod 600 "$s/authorized_keys"
  echo "[127.0.0.1]:$SSH_PORT $(cut -d' ' -f1,2 "$s/ssh_host_ed25519_key.pub")" > "$s/known_hosts"
  ssh_client_entry "$SSH_ALIAS" "$SSH_PORT" > "$s/config"
  if two_hosts; then # host B: a host key of its own (kept across runs), the same client key and authorized_keys
    mkdir -p "$b"
    chmod 700 "$b"
    [ -f "$b/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C jutsu-lab-host-b -f "$b/ssh_host_ed25519_key"
    chmod 600 "$b/ssh_host_ed25519_key"
    echo "[127.0.0.1]:$B_SSH_PORT $(cut -d' ' -f1,2 "$b/ssh_host_ed25519_key.pub")" >> "$s/known_hosts"
    ssh_client_entry "$B_SSH_ALIAS" "$B_SSH_PORT" >> "$s/config"
  fi
  # SHLVL=1 makes bash skip ~/.bashrc for ssh commands (bash only sources it when SHLVL < 2), so the
  # session keeps exactly the Unraid-like PATH below.
  sshd_instance sshd "$SSH_PORT" "$s/ssh_host_ed25519_key" "$s/sshd_config" "$LAB/sshd.pid" "$LAB/sshd.log" \
    "PATH=$HOSTBIN TZ=America/New_York SHLVL=1"
  if two_hosts; then
    sshd_instance "sshd B" "$B_SSH_PORT" "$b/ssh_host_ed25519_key" "$b/sshd_config" "$LAB/sshd-b.pid" \
      "$LAB/sshd-b.log" "PATH=$HOSTBIN TZ=America/New_York SHLVL=1 DOCKER_HOST=$B_DOCKER_HOST"
  fi
}
ensure_hostbin
ensure_sshd

# ---------------------------------------------------------------- outputs
write_outputs() {
  cat > "$LAB/lab.env" <<EOF
# jutsu-ops test lab (written by test/lab/up.sh). Secrets are in JUTSU_LAB_SECRETS_FILE.
JUTSU_LAB_DIR=$LAB
JUTSU_LAB_SRC=$LAB_SRC
JUTSU_LAB_DOCKER_ROOT=$DOCKER_ROOT
JUTSU_LAB_PRODUCTION_ONLY=$PRODUCTION_ONLY
JUTSU_LAB_SSH_ALIAS=$SSH_ALIAS
JUTSU_LAB_SSH_HOST=127.0.0.1
JUTSU_LAB_SSH_PORT=$SSH_PORT
JUTSU_LAB_SSH_USER=root
JUTSU_LAB_SSH_KEY=$LAB/ssh/id_ed25519
JUTSU_LAB_SSH_KNOWN_HOSTS=$LAB/ssh/known_hosts
JUTSU_LAB_SSH_CONFIG=$LAB/ssh/config
JUTSU_LAB_HOSTBIN=$HOSTBIN
JUTSU_LAB_PGCLIENT=$PGCLIENT
JUTSU_LAB_HOSTTOOLS=$LAB_SRC/hosttools.sh
JUTSU_LAB_REGISTRY=$REGISTRY
JUTSU_LAB_REGISTRY_PORT=$REG_PORT
JUTSU_LAB_REGISTRY_URL=http://$REGISTRY
JUTSU_LAB_IMAGE=$IMAGE_REPO
JUTSU_LAB_PG_HOST=127.0.0.1
JUTSU_LAB_PG_PORT=$PG_PORT
JUTSU_LAB_PG_USER=jutsu
JUTSU_LAB_PG_CONTAINER=$PG_CONTAINER
JUTSU_LAB_PG_VOLUME=$PG_VOLUME
JUTSU_LAB_PROD_DB=$PROD_DB
JUTSU_LAB_STAGING_DB=$STAGING_DB
JUTSU_LAB_PROD_CONTAINER=$PROD_CONTAINER
JUTSU_LAB_STAGING_CONTAINER=$STAGING_CONTAINER
JUTSU_LAB_PROD_API_PORT=8001
JUTSU_LAB_PROD_UI_PORT=3001
JUTSU_LAB_STAGING_API_PORT=8002
JUTSU_LAB_STAGING_UI_PORT=3002
JUTSU_LAB_HEALTH_PATH=/api/health
JUTSU_LAB_ENV_PATH=/api/status/environment
JUTSU_LAB_TRADING_START_PATH=/api/trading/start
JUTSU_LAB_ORIGIN=$ORIGIN
JUTSU_LAB_CI_LOG=$LAB/ci.log
JUTSU_LAB_CI_DELAY=$CI_DELAY
JUTSU_LAB_SYNC_SCRIPT=$SYNC_SCRIPT
JUTSU_LAB_SYNC_LOG=$SYNC_LOG
JUTSU_LAB_PROFILE=$LAB/profile.json
JUTSU_LAB_SECRETS_FILE=$LAB/secrets.env
JUTSU_LAB_TWO_HOSTS=$TWO_HOSTS
JUTSU_LAB_PROFILE_TWO_HOSTS=$LAB/profile-two-hosts.json
JUTSU_LAB_B_SSH_ALIAS=$B_SSH_ALIAS
JUTSU_LAB_B_SSH_HOST=127.0.0.1
JUTSU_LAB_B_SSH_PORT=$B_SSH_PORT
JUTSU_LAB_B_DOCKER_HOST=$B_DOCKER_HOST
JUTSU_LAB_B_DOCKER_ROOT=$B_DOCKER_ROOT
JUTSU_LAB_STAGING_DOCKER_HOST=$(if two_hosts; then echo "$B_DOCKER_HOST"; else echo "$A_DOCKER_HOST"; fi)
EOF
  jq -n --arg lab "$LAB" --argjson ssh "$SSH_PORT" --arg reg "http://$REGISTRY" --argjson pg "$PG_PORT" \
    --arg image "$IMAGE_REPO" --arg script "$SYNC_SCRIPT" --arg synclog "$SYNC_LOG" --arg origin "$ORIGIN" '
  {host: {alias: "127.0.0.1", port: $ssh, user: "root", identityFile: ($lab + "/ssh/id_ed25519"), knownHosts: ($lab + "/ssh/known_hosts")},
   registry: {kind: "v2", url: $reg},
   postgres: {host: "127.0.0.1", port: $pg, user: "jutsu", via: "direct", container: "jutsu-postgres"},
   environments: {
     production: {container: "jutsu-labs", image: $image, tag: "latest", branch: "main", apiPort: 8001, uiPort: 3001,
                  database: "jutsu_labs", expect: {SCHWAB_ENABLED: "true", PAPER_TRADING_ONLY: "false", ENVIRONMENT: "production"}},
     staging: {container: "jutsu-labs-staging", image: $image, tag: "staging", branch: "staging", apiPort: 8002, uiPort: 3002,
               database: "jutsu_labs_staging", expect: {SCHWAB_ENABLED: "false", PAPER_TRADING_ONLY: "true", ENVIRONMENT: "staging"}}},
   app: {healthPath: "/api/health", environmentPath: "/api/status/environment", tradingStartPath: "/api/trading/start"},
   sync: {script: $script, log: $synclog, tables: ["market_data", "performance_snapshots"], schedule: "0 2 * * *", timezone: "America/New_York"},
   repo: {path: ($lab + "/workspace/jutsu-labs"), remote: "origin", featurePrefix: "feature/", origin: $origin}}' > "$LAB/profile.json"
  # the same profile with staging on host B: its host is the top-level host with B's port
  if two_hosts; then
    jq --argjson port "$B_SSH_PORT" '.environments.staging.host = (.host + {port: $port})' "$LAB/profile.json" \
      > "$LAB/profile-two-hosts.json" || die outputs "cannot write $LAB/profile-two-hosts.json"
  else
    rm -f "$LAB/profile-two-hosts.json"
  fi
}
write_outputs

# ---------------------------------------------------------------- the operator's checkout
# A clone of the origin with one local feature branch, as on the operator's laptop (profile repo.path).
workspace() {
  local ws="$LAB/workspace/jutsu-labs"
  if [ "$KEEP_STATE" = 1 ] && [ -d "$ws/.git" ]; then return 0; fi
  rm -rf "$ws"
  mkdir -p "$LAB/workspace"
  git clone -q "$ORIGIN" "$ws"
  git -C "$ws" config user.name "Lab Operator"
  git -C "$ws" config user.email "operator@tower.local"
  if git -C "$ws" rev-parse -q --verify origin/staging >/dev/null; then
    git -C "$ws" checkout -q -b feature/demo-banner origin/staging
    printf '\nDemo change: a banner line for the staging dashboard.\n' >> "$ws/README.md"
    git -C "$ws" commit -q -am "feat: demo banner line"
    git -C "$ws" checkout -q staging 2>/dev/null || git -C "$ws" checkout -q -b staging origin/staging
  fi
}
workspace

# ---------------------------------------------------------------- wait + verify
wait_healthy() {
  local name="$1" h i
  for ((i = 0; i < 600; i++)); do
    h="$(container_health "$name")"
    [ "$h" = healthy ] && return 0
    [ "$h" = unhealthy ] && [ "$i" -gt 100 ] && break
    sleep 0.1
  done
  docker inspect -f '{{range .State.Health.Log}}{{.Output}}{{end}}' "$name" 2>/dev/null | tail -n 3 >&2 || true
  die "$name" "container is not healthy (health=$h); try: up.sh --recreate"
}
wait_healthy "$PROD_CONTAINER"
if ! production_only; then
  if two_hosts; then on_b wait_healthy "$STAGING_CONTAINER"; else wait_healthy "$STAGING_CONTAINER"; fi
fi
log "containers: healthy [$(elapsed)]"

out="$(ssh -F "$LAB/ssh/config" "$SSH_ALIAS" 'echo "PATH=$PATH"; command -v psql || echo no-psql; docker ps --format "{{.Names}}"' 2>&1)" ||
  { echo "$out" >&2; die sshd "ssh -F $LAB/ssh/config $SSH_ALIAS docker ps failed"; }
grep -qx "PATH=$HOSTBIN" <<<"$out" || { echo "$out" >&2; die sshd "ssh session PATH is not $HOSTBIN"; }
grep -qx no-psql <<<"$out" || warn "psql is visible on the ssh host PATH (hosttools add-pg-client active?)"
grep -qx "$PROD_CONTAINER" <<<"$out" || die sshd "docker ps over ssh does not list $PROD_CONTAINER"
log "sshd: ssh $SSH_ALIAS docker ps OK (PATH=$HOSTBIN)"
if two_hosts; then
  grep -qx "$STAGING_CONTAINER" <<<"$out" && die sshd "docker ps over ssh to $SSH_ALIAS lists $STAGING_CONTAINER (it runs on host B)"
  out="$(ssh -F "$LAB/ssh/config" "$B_SSH_ALIAS" 'echo "PATH=$PATH"; echo "DOCKER_HOST=$DOCKER_HOST"; docker ps --format "{{.Names}}"' 2>&1)" ||
    { echo "$out" >&2; die sshd-b "ssh -F $LAB/ssh/config $B_SSH_ALIAS docker ps failed"; }
  grep -qx "PATH=$HOSTBIN" <<<"$out" || { echo "$out" >&2; die sshd-b "ssh session PATH on host B is not $HOSTBIN"; }
  grep -qx "DOCKER_HOST=$B_DOCKER_HOST" <<<"$out" || { echo "$out" >&2; die sshd-b "ssh session on host B does not have DOCKER_HOST=$B_DOCKER_HOST"; }
  grep -qx "$PROD_CONTAINER" <<<"$out" && die sshd-b "docker ps over ssh to $B_SSH_ALIAS lists $PROD_CONTAINER (it runs on host A)"
  production_only || grep -qx "$STAGING_CONTAINER" <<<"$out" || die sshd-b "docker ps over ssh to $B_SSH_ALIAS does not list $STAGING_CONTAINER"
  log "sshd B: ssh $B_SSH_ALIAS docker ps OK (DOCKER_HOST=$B_DOCKER_HOST)"
fi
log "lab up in $(elapsed): source $LAB/lab.env; profile $LAB/profile.json$(two_hosts && echo "; two hosts: $LAB/profile-two-hosts.json")"
