#!/bin/sh
# One HTTP/1.x request on stdin/stdout (spawned per connection by `nc -ll -e`).
# Serves the jutsu-labs API (mode "api", port 8000) or the dashboard (mode "ui", port 3000).
MODE="${1:-api}"
CR="$(printf '\r')"
REVISION="$(cat /app/REVISION 2>/dev/null || echo unknown)"

lower() { echo "$1" | tr 'A-Z' 'a-z'; }
flag() { # flag NAME DEFAULT -> true/false, like the app's os.getenv(NAME, DEFAULT).lower() == "true"
  eval "v=\${$1-$2}"
  if [ "$(lower "$v")" = "true" ]; then echo true; else echo false; fi
}
applog() { echo "$(date '+%Y-%m-%dT%H:%M:%S%z') $*" >/proc/1/fd/1 2>/dev/null || true; }

respond() { # respond STATUS CONTENT_TYPE BODY
  printf 'HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %s\r\nCache-Control: no-store\r\nConnection: close\r\nServer: jutsu-labs-lab\r\n\r\n' \
    "$1" "$2" "$(printf '%s' "$3" | wc -c)"
  [ "$METHOD" = HEAD ] || printf '%s' "$3"
  exit 0
}
json() { respond "$1" application/json "$2"; }

# request line
read -t 10 -r METHOD TARGET PROTO || exit 0
METHOD="${METHOD%$CR}"; TARGET="${TARGET%$CR}"
# headers
LEN=0
while read -t 10 -r line; do
  line="${line%$CR}"
  [ -z "$line" ] && break
  case "$(lower "${line%%:*}")" in
    content-length) LEN="$(echo "${line#*:}" | tr -dc 0-9)";;
  esac
done
# drain the body so the client never sees a reset
[ "${LEN:-0}" -gt 0 ] 2>/dev/null && dd bs=1 count="$LEN" of=/dev/null 2>/dev/null
P="${TARGET%%\?*}"
[ "$P" != / ] && P="${P%/}"

ENVIRONMENT_NAME="${ENVIRONMENT:-production}"
SCHWAB="$(flag SCHWAB_ENABLED true)"
PAPER="$(flag PAPER_TRADING_ONLY false)"

if [ "$MODE" = ui ]; then
  if [ "$ENVIRONMENT_NAME" = production ]; then BADGE=""; else
    BADGE="<span class=\"badge\">$(echo "$ENVIRONMENT_NAME" | tr 'a-z' 'A-Z')</span>"; fi
  respond "200 OK" "text/html; charset=utf-8" "<!doctype html>
<html><head><title>Jutsu Labs Dashboard ($ENVIRONMENT_NAME)</title>
<style>.badge{padding:2px 6px;background:#eab308;color:#000;font-weight:bold}</style></head>
<body><h1>Jutsu Labs $BADGE</h1>
<p>Environment: <b id=\"environment\">$ENVIRONMENT_NAME</b></p>
<p>Schwab enabled: $SCHWAB &middot; Paper trading only: $PAPER &middot; Revision: <code>$REVISION</code></p>
</body></html>
"
fi

case "$P" in
  /api/health)
    case "$METHOD" in GET|HEAD) ;; *) json "405 Method Not Allowed" '{"detail":"Method Not Allowed"}';; esac
    if [ -f /app/BREAK_HEALTH ]; then
      json "500 Internal Server Error" "{\"status\":\"error\",\"revision\":\"$REVISION\",\"detail\":\"database connection failed\"}"
    fi
    json "200 OK" "{\"status\":\"ok\",\"revision\":\"$REVISION\"}";;
  /api/status/environment)
    case "$METHOD" in GET|HEAD) ;; *) json "405 Method Not Allowed" '{"detail":"Method Not Allowed"}';; esac
    json "200 OK" "{\"environment\":\"$ENVIRONMENT_NAME\",\"schwab_enabled\":$SCHWAB,\"paper_trading_only\":$PAPER}";;
  /api/trading/start)
    [ "$METHOD" = POST ] || json "405 Method Not Allowed" '{"detail":"Method Not Allowed"}'
    if [ "$PAPER" = true ]; then
      applog "WARNING trading start refused: live trading is disabled (PAPER_TRADING_ONLY=true)"
      json "403 Forbidden" '{"detail":"Live trading is disabled in this environment. Only paper trading is allowed."}'
    fi
    applog "INFO trading engine started (live) env=$ENVIRONMENT_NAME"
    json "200 OK" "{\"status\":\"started\",\"mode\":\"live\",\"environment\":\"$ENVIRONMENT_NAME\"}";;
  /|/api)
    json "200 OK" "{\"name\":\"jutsu-labs\",\"revision\":\"$REVISION\",\"environment\":\"$ENVIRONMENT_NAME\"}";;
  *)
    json "404 Not Found" '{"detail":"Not Found"}';;
esac
