# shellcheck shell=bash
# Host B of the two-host lab (up.sh --two-hosts): its own Linux bridge and dockerd. Sourced by up.sh and
# down.sh after lib.sh. sshd B is written and started by up.sh (same code as sshd A).
#
# dockerd A owns docker0 and iptables, so dockerd B gets a bridge of its own and leaves iptables alone:
# published ports are served by the userland docker-proxy (127.0.0.1:PORT -> the container on $B_BRIDGE).

# ensure_bridge_b: $B_BRIDGE exists, carries $B_BRIDGE_ADDR and is up
ensure_bridge_b() {
  if ! ip link show "$B_BRIDGE" >/dev/null 2>&1; then
    ip link add "$B_BRIDGE" type bridge || die host-b "cannot create bridge $B_BRIDGE"
    log "host B: bridge $B_BRIDGE created"
  fi
  if ! ip -o -4 addr show dev "$B_BRIDGE" | grep -qF " $B_BRIDGE_ADDR "; then
    ip addr add "$B_BRIDGE_ADDR" dev "$B_BRIDGE" || die host-b "cannot give $B_BRIDGE the address $B_BRIDGE_ADDR"
  fi
  ip link set "$B_BRIDGE" up || die host-b "cannot bring $B_BRIDGE up"
}

# ensure_dockerd_b: dockerd B answers on $B_DOCKER_SOCK (started here when it does not)
ensure_dockerd_b() {
  ensure_bridge_b
  if docker_b_ok; then
    log "dockerd B: up (pid $(cat "$LAB/dockerd-b.pid" 2>/dev/null || echo '?'), $B_DOCKER_HOST)"
    return
  fi
  if pid_alive "$LAB/dockerd-b.pid" dockerd; then
    log "dockerd B: pid $(cat "$LAB/dockerd-b.pid") exists but does not answer yet; waiting"
  else
    rm -f "$LAB/dockerd-b.pid" "$LAB/dockerd-b.ours"
    mkdir -p "$B_DOCKER_ROOT" "$B_EXEC_ROOT"
    # its own (empty) daemon.json, so a /etc/docker/daemon.json meant for A cannot change B
    echo '{}' > "$LAB/dockerd-b.json"
    setsid dockerd --config-file "$LAB/dockerd-b.json" -H "$B_DOCKER_HOST" \
      --data-root "$B_DOCKER_ROOT" --exec-root "$B_EXEC_ROOT" --pidfile "$LAB/dockerd-b.pid" \
      --bridge "$B_BRIDGE" --iptables=false --ip-masq=false --userland-proxy=true \
      --log-opt max-size=50m --log-opt max-file=1 </dev/null >>"$LAB/dockerd-b.log" 2>&1 &
    echo $! > "$LAB/dockerd-b.ours"
  fi
  local i
  for ((i = 0; i < 600; i++)); do
    docker_b_ok && break
    if [ -f "$LAB/dockerd-b.ours" ] && ! kill -0 "$(cat "$LAB/dockerd-b.ours")" 2>/dev/null; then
      tail -n 20 "$LAB/dockerd-b.log" >&2
      die dockerd-b "dockerd B exited; see $LAB/dockerd-b.log"
    fi
    sleep 0.1
  done
  docker_b_ok || die dockerd-b "docker info on $B_DOCKER_HOST does not answer after 60s; see $LAB/dockerd-b.log"
  [ "$(on_b docker info -f '{{.DockerRootDir}}' 2>/dev/null)" = "$B_DOCKER_ROOT" ] ||
    die dockerd-b "the daemon on $B_DOCKER_HOST does not use $B_DOCKER_ROOT"
  log "dockerd B: started ($B_DOCKER_HOST, data root $B_DOCKER_ROOT, bridge $B_BRIDGE $B_BRIDGE_ADDR)"
}

# host_b_running: any part of host B is up
host_b_running() {
  pid_alive "$LAB/sshd-b.pid" sshd || pid_alive "$LAB/dockerd-b.pid" dockerd || docker_b_ok ||
    ip link show "$B_BRIDGE" >/dev/null 2>&1
}

# stop_host_b: sshd B, every container on B, dockerd B (its data root is kept), the bridge
stop_host_b() {
  if pid_alive "$LAB/sshd-b.pid" sshd; then
    stop_pidfile "$LAB/sshd-b.pid" sshd 5
    log "sshd B: stopped"
  fi
  rm -f "$LAB/sshd-b.pid"
  if docker_b_ok; then
    local ids
    ids="$(on_b docker ps -aq)"
    if [ -n "$ids" ]; then
      # shellcheck disable=SC2086
      on_b docker rm -f $ids >/dev/null
      log "host B: removed $(wc -w <<<"$ids" | tr -d ' ') container(s)"
    fi
  fi
  if pid_alive "$LAB/dockerd-b.pid" dockerd; then
    stop_pidfile "$LAB/dockerd-b.pid" dockerd 30
    log "dockerd B: stopped (data root $B_DOCKER_ROOT kept)"
  elif docker_b_ok; then
    warn "a dockerd answers on $B_DOCKER_HOST but $LAB/dockerd-b.pid names no running dockerd; left running"
  fi
  rm -f "$LAB/dockerd-b.ours"
  if ip link show "$B_BRIDGE" >/dev/null 2>&1 && ! docker_b_ok; then
    ip link del "$B_BRIDGE" 2>/dev/null || warn "could not delete bridge $B_BRIDGE"
  fi
  rm -f "$LAB"/baseline/b-*
}
