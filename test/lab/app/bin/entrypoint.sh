#!/bin/sh
# jutsu-labs (lab stand-in): API on :8000, dashboard on :3000, a heartbeat line every 2 s.
REVISION="$(cat /app/REVISION 2>/dev/null || echo unknown)"
REV7="$(echo "$REVISION" | cut -c1-7)"
ENVIRONMENT_NAME="${ENVIRONMENT:-production}"
ts() { date '+%Y-%m-%dT%H:%M:%S%z'; }

PIDS=""
shutdown() {
  echo "$(ts) INFO shutting down env=$ENVIRONMENT_NAME rev=$REV7"
  [ -n "$PIDS" ] && kill $PIDS 2>/dev/null
  exit 0
}
trap shutdown TERM INT

echo "$(ts) INFO starting jutsu-labs env=$ENVIRONMENT_NAME rev=$REV7 api=:8000 dashboard=:3000 log_level=${LOG_LEVEL:-INFO}"
echo "$(ts) INFO database ${DATABASE_TYPE:-sqlite} ${POSTGRES_HOST:-localhost}:${POSTGRES_PORT:-5432}/${POSTGRES_DATABASE:-jutsu_labs} user=${POSTGRES_USER:-}"
nc -ll -p 8000 -e /app/bin/handler.sh api &
PIDS="$PIDS $!"
nc -ll -p 3000 -e /app/bin/handler.sh ui &
PIDS="$PIDS $!"
[ -f /app/BREAK_HEALTH ] && echo "$(ts) ERROR health check will fail: database connection failed (BREAK_HEALTH)"

if [ -f /app/LOG_FLOOD ]; then
  echo "$(ts) WARNING LOG_FLOOD present: logging as fast as possible"
  i=0
  while :; do
    i=$((i + 1))
    echo "$(ts) INFO flood env=$ENVIRONMENT_NAME rev=$REV7 seq=$i"
    j=0
    while [ $j -lt 500 ]; do
      i=$((i + 1)); j=$((j + 1))
      echo "FLOOD INFO env=$ENVIRONMENT_NAME rev=$REV7 seq=$i lorem ipsum dolor sit amet consectetur"
    done
  done &
  PIDS="$PIDS $!"
fi

n=0
while :; do
  echo "$(ts) INFO heartbeat env=$ENVIRONMENT_NAME rev=$REV7"
  n=$((n + 1))
  if [ "${LOG_LEVEL:-INFO}" = DEBUG ] && [ $((n % 5)) -eq 0 ]; then
    echo "$(ts) DEBUG scheduler tick=$n paper_trading_only=${PAPER_TRADING_ONLY:-false} schwab_enabled=${SCHWAB_ENABLED:-true}"
  fi
  sleep 2 &
  wait $!
done
