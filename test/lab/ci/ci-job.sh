#!/bin/bash
# jutsu-lab fake CI job: build the pushed commit's tree and push it to the lab registry, like
# .github/workflows/docker-publish.yml does on GitHub (main -> :latest, other branches -> :<branch>).
# Usage: ci-job.sh [--delay] [--force] REPO REF SHA   (--delay: wait CI_DELAY s; --force: ignore [skip ci])
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin DOCKER_BUILDKIT=0
# CI builds on host A's engine, also when the push came in over ssh to host B (whose sessions set DOCKER_HOST)
unset DOCKER_HOST
CI_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
. "$CI_DIR/ci.env"   # CI_LOG, CI_DELAY, REGISTRY_PORT
delay=0 force=0
while [ $# -gt 0 ]; do
  case "$1" in --delay) delay="$CI_DELAY" ;; --force) force=1 ;; *) break ;; esac
  shift
done
repo="$1" ref="$2" sha="$3"
branch="${ref#refs/heads/}"
if [ "$branch" = main ]; then tag=latest; else tag="$branch"; fi
now() { date -u '+%Y-%m-%dT%H:%M:%SZ'; }
cilog() { echo "$(now) $*" >> "$CI_LOG"; }
cilog "queued sha=$sha tag=$tag branch=$branch delay=${delay}s"
[ "$delay" != 0 ] && sleep "$delay"

msg="$(git --git-dir="$repo" log -1 --format=%B "$sha" 2>/dev/null)" || { cilog "failed sha=$sha tag=$tag branch=$branch reason=unknown-commit"; exit 1; }
if [ "$force" = 0 ] && [[ "$msg" == *"[skip ci]"* ]]; then
  cilog "skipped sha=$sha tag=$tag branch=$branch reason=[skip ci]"
  exit 0
fi

exec 9>"$CI_DIR/ci.lock"
flock 9
mkdir -p "$CI_DIR/jobs"
joblog="$CI_DIR/jobs/$(date -u +%Y%m%dT%H%M%S)-$tag-${sha:0:12}.log"
cilog "start sha=$sha tag=$tag branch=$branch log=$joblog"
ctx="$(mktemp -d "$CI_DIR/ctx.XXXXXX")"
trap 'rm -rf "$ctx"' EXIT
# CI pushes through a name of its own (localhost:PORT) so that it never touches the host's
# local 127.0.0.1:PORT/... tags: the host sees a new image only after `docker pull`.
ci_ref="localhost:${REGISTRY_PORT}/ankugo/jutsu-labs:$tag"
if {
  echo "== checkout $sha ($ref)"
  git --git-dir="$repo" archive --format=tar "$sha" | tar -x -C "$ctx" &&
  echo "== docker build" &&
  docker build --pull=false --force-rm --label "org.opencontainers.image.revision=$sha" \
    --build-arg "REVISION=$sha" -t "$ci_ref" "$ctx" &&
  echo "== docker push" &&
  docker push "$ci_ref"
} >"$joblog" 2>&1; then
  digest="$(grep -o 'digest: sha256:[0-9a-f]*' "$joblog" | tail -1 | cut -d' ' -f2)"
  docker rmi "$ci_ref" >/dev/null 2>&1 || true
  cilog "done sha=$sha tag=$tag branch=$branch digest=${digest:-unknown}"
else
  docker rmi "$ci_ref" >/dev/null 2>&1 || true
  cilog "failed sha=$sha tag=$tag branch=$branch log=$joblog"
  exit 1
fi
