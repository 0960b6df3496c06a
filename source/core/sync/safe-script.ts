/**
 * The safe sync script: each table refreshed in ONE transaction on staging (never CASCADE), production read in a
 * read-only session, a flock shared with jutsu-ops, the seed's log lines plus `Staging sync FAILED: reason`, a
 * non-zero exit on failure, and no password on any command line or in the log.
 */
import type {Profile} from '../config/schema.js';
import {OpsError} from '../errors.js';
import {sh, shellQuote} from '../quote.js';
import {MASK, scrubber} from '../secrets.js';
import type {Transport} from '../transport/types.js';
import {syncPaths} from './run.js';

export const SAFE_SCRIPT_MARKER = '# jutsu-ops safe sync script';

const IDENT = /^[a-z_][a-z0-9_]*$/u;

export interface SafeScriptOptions {
	prodDb: string;
	stagingDb: string;
	pgHost: string;
	pgPort: number;
	pgUser: string;
	/** The PostgreSQL container, used through `docker exec -i` when the host has no psql/pg_dump. */
	pgContainer: string;
	/** Containers whose env holds POSTGRES_PASSWORD (read at run time, never written down). */
	passwordContainers: string[];
	tables: string[];
	log: string;
	lock: string;
	/** Log timestamps are written in this zone (the seed's: America/New_York). */
	timeZone: string;
}

export function safeScriptOptions(profile: Profile): SafeScriptOptions {
	return {
		prodDb: profile.environments.production.database,
		stagingDb: profile.environments.staging.database,
		pgHost: 'localhost',
		pgPort: profile.postgres.port,
		pgUser: profile.postgres.user,
		pgContainer: profile.postgres.container ?? 'postgresql17',
		passwordContainers: [profile.environments.production.container, profile.environments.staging.container],
		tables: profile.sync.tables,
		log: profile.sync.log,
		lock: syncPaths(profile).lock,
		timeZone: profile.sync.timezone,
	};
}

/** The script text. Table and database names must be plain identifiers (checked). */
export function renderSafeScript(o: SafeScriptOptions): string {
	for (const name of [...o.tables, o.prodDb, o.stagingDb, o.pgUser]) {
		if (!IDENT.test(name)) throw new OpsError('config', `"${name}" is not a plain identifier; the safe script only syncs tables and databases named [a-z_][a-z0-9_]*.`, {hint: 'Nothing was installed.'});
	}
	if (o.prodDb === o.stagingDb) throw new OpsError('config', 'The staging database is the production database; the safe script would write production. Nothing was installed.', {hint: 'Fix environments.staging.database in the profile.'});
	const q = shellQuote;
	return `#!/bin/bash
${SAFE_SCRIPT_MARKER} (installed by jutsu-ops; the file it replaced was kept as a .bak-* copy)
# Copies ${o.tables.join(', ')} from ${o.prodDb} (read-only session) to ${o.stagingDb}.
# Each table is refreshed inside ONE transaction: a failure anywhere leaves staging's previous rows in place.
# A table that other staging tables reference by foreign key is merged (delete/update/insert by primary key)
# instead of truncated, so those tables keep their rows; TRUNCATE ... CASCADE is never used.
set -u
set -o pipefail

PROD_DB=${q(o.prodDb)}
STAGING_DB=${q(o.stagingDb)}
PG_HOST=${q(o.pgHost)}
PG_PORT=${q(o.pgPort)}
PG_USER=${q(o.pgUser)}
PG_CONTAINER=${q(o.pgContainer)}
PASSWORD_CONTAINERS=(${o.passwordContainers.map(c => q(c)).join(' ')})
SYNC_TABLES=(${o.tables.map(t => q(t)).join(' ')})
LOG_FILE=${q(o.log)}
LOCK_FILE=${q(o.lock)}
LOG_TZ=${q(o.timeZone)}

log() { echo "$(TZ="$LOG_TZ" date '+%Y-%m-%d %H:%M:%S') - $*" >> "$LOG_FILE"; }
fail() { log "Staging sync FAILED: $*"; echo "Staging sync FAILED: $*" >&2; exit 1; }

mkdir -p "$(dirname "$LOG_FILE")" "$(dirname "$LOCK_FILE")"

# One run at a time, shared with jutsu-ops (which may already hold the lock for us on fd 9).
if ! [ -e "/proc/$$/fd/9" ] || ! [ "/proc/$$/fd/9" -ef "$LOCK_FILE" ]; then
    exec 9>>"$LOCK_FILE"
    OWN_LOCK=1
else
    OWN_LOCK=0
fi
if ! flock -n 9; then
    log "Starting staging sync"
    fail "another sync holds $LOCK_FILE"
fi
CLEANUP=:
WATCHDOG=
trap 'eval "$CLEANUP"; [ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null' EXIT
if [ "$OWN_LOCK" = 1 ]; then
    printf 'run=%s\\npid=%s\\nsince=%s\\nby=%s\\nscript=%s\\n' "script-$$" "$$" "$(( $(date +%s) * 1000 ))" "$(id -un)@$(hostname) (cron or shell)" "$0" > "$LOCK_FILE.holder"
    CLEANUP="rm -f \"$LOCK_FILE.holder\""
fi

log "Starting staging sync"

# The password is never on a command line: it comes from the environment, ~/.pgpass, or the app container's env.
if [ -z "\${PGPASSWORD:-}" ] && [ ! -f "$HOME/.pgpass" ] && command -v docker >/dev/null 2>&1; then
    for c in "\${PASSWORD_CONTAINERS[@]}"; do
        PGPASSWORD=$(docker inspect --type container --format '{{range .Config.Env}}{{println .}}{{end}}' "$c" 2>/dev/null | sed -n 's/^POSTGRES_PASSWORD=//p' | head -n 1)
        [ -n "$PGPASSWORD" ] && break
    done
fi
export PGPASSWORD="\${PGPASSWORD:-}"

if command -v psql >/dev/null 2>&1; then
    MODE=client
    prod_psql() { PGOPTIONS='-c default_transaction_read_only=on' PGAPPNAME=jutsu-sync-read psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PROD_DB" "$@"; }
    stg_psql() { PGAPPNAME=jutsu-sync psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$STAGING_DB" "$@"; }
elif command -v docker >/dev/null 2>&1; then
    MODE=docker
    [ "$(docker inspect --type container --format '{{.State.Running}}' "$PG_CONTAINER" 2>/dev/null)" = true ] \\
        || fail "the PostgreSQL container $PG_CONTAINER is not running"
    # Inside the container: the local socket (trust on the official image), or the password passed by name.
    prod_psql() { PGOPTIONS='-c default_transaction_read_only=on' PGAPPNAME=jutsu-sync-read docker exec -i -e PGPASSWORD -e PGOPTIONS -e PGAPPNAME "$PG_CONTAINER" psql -X -q -v ON_ERROR_STOP=1 -U "$PG_USER" -d "$PROD_DB" "$@"; }
    stg_psql() { PGAPPNAME=jutsu-sync docker exec -i -e PGPASSWORD -e PGAPPNAME "$PG_CONTAINER" psql -X -q -v ON_ERROR_STOP=1 -U "$PG_USER" -d "$STAGING_DB" "$@"; }
else
    log "Syncing table: \${SYNC_TABLES[0]}"
    fail "neither psql nor docker is available on this host"
fi

# When PostgreSQL dies under a COPY, the docker exec clients can wait forever: dockerd (seen with 20.10) handles
# one container's events in order, and an exec's exit can block on a client that no longer reads; the container's
# own exit waits behind it, so Docker keeps reporting it running, same StartedAt, same RestartCount, until those
# clients end. So the watchdog also watches the container's main process on this host (pid + start time in
# /proc), which does not depend on dockerd, and ends this script's docker exec clients once PostgreSQL is gone.
PG_STATUS0= PG_STARTED0= PG_RESTARTS0= PG_PID0= PG_PSTART0=
pg_state() { timeout 10 docker inspect --type container --format '{{.State.Status}} {{.State.StartedAt}} {{.RestartCount}} {{.State.Pid}}' "$PG_CONTAINER" 2>/dev/null; }
# The start time (clock ticks since boot) of a live process, empty when it is gone or a zombie.
proc_start() { [ -r "/proc/$1/stat" ] && sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '$1 != "Z" && $1 != "X" { print $20 }'; }
pg_process_gone() { [ -n "$PG_PSTART0" ] && [ "$(proc_start "$PG_PID0")" != "$PG_PSTART0" ]; }
# Succeeds when PostgreSQL is not the one this run started with: its process ended, or Docker reports it
# stopped, restarted or unknown.
pg_gone() {
    pg_process_gone && return 0
    local st started restarts pid
    read -r st started restarts pid <<< "$(pg_state)"
    [ "$st" != running ] || [ "$started" != "$PG_STARTED0" ] || [ "$restarts" != "$PG_RESTARTS0" ]
}
# After a failure: what happened to PostgreSQL, in words (empty when nothing did). The failure can be seen before
# Docker is: wait up to 2 s for a change, and up to 5 s for Docker to catch up with a main process that ended.
pg_reason() {
    [ "$MODE" = docker ] || return 0
    local i=0 st started restarts pid
    while :; do
        read -r st started restarts pid <<< "$(pg_state)"
        if [ -n "$st" ] && { [ "$restarts" != "$PG_RESTARTS0" ] || [ "$started" != "$PG_STARTED0" ] || [ "$st" = restarting ]; }; then
            echo "PostgreSQL (container $PG_CONTAINER) restarted during the run (restart count $PG_RESTARTS0 -> $restarts)"; return 0
        fi
        if [ -n "$st" ] && [ "$st" != running ]; then
            echo "PostgreSQL (container $PG_CONTAINER) stopped during the run (Docker reports it $st)"; return 0
        fi
        if pg_process_gone; then
            [ $i -ge 10 ] && { echo "PostgreSQL (container $PG_CONTAINER) went down during the run: its main process ended (crash or kill)"; return 0; }
        elif [ $i -ge 4 ]; then
            [ -n "$st" ] || echo "PostgreSQL (container $PG_CONTAINER) could not be inspected after the failure (docker inspect gave nothing)"
            return 0
        fi
        sleep 0.5; i=$((i + 1))
    done
}
if [ "$MODE" = docker ]; then
    MAIN=$$
    read -r PG_STATUS0 PG_STARTED0 PG_RESTARTS0 PG_PID0 <<< "$(pg_state)"
    [ "$PG_STATUS0" = running ] || fail "the PostgreSQL container $PG_CONTAINER is not running (Docker reports '$PG_STATUS0')"
    PG_PSTART0=$(proc_start "\${PG_PID0:-0}")
    (
        n=0
        while sleep 1; do
            pg_gone || continue
            # TERM first (the docker CLI exits on it), KILL if a client is still there after 3 s
            n=$((n + 1)); sig=TERM; [ $n -gt 3 ] && sig=KILL
            ps -eo pid=,ppid=,args= | awk -v root="$MAIN" '{ parent[$1] = $2; line[$1] = $0 }
                END { for (p in parent) { q = p; n = 0; while ((q in parent) && q != root && n++ < 64) q = parent[q];
                      if (q == root && line[p] ~ /^ *[0-9]+ +[0-9]+ +docker exec /) print p } }' | xargs -r kill -$sig 2>/dev/null
        done
    ) 9>&- &
    WATCHDOG=$!
fi

# Stopped (Ctrl-C in jutsu-ops, kill): end the staging session so its open transaction rolls back.
on_term() {
    stg_psql -Atc "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'jutsu-sync' AND pid <> pg_backend_pid()" >/dev/null 2>&1
    fail "stopped by a signal; the open transaction was rolled back"
}
trap on_term TERM INT HUP

for TABLE in "\${SYNC_TABLES[@]}"; do
    log "Syncing table: $TABLE"
    COLS=$(prod_psql -Atc "SELECT string_agg(quote_ident(column_name), ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '$TABLE'" 2>&1) \\
        || fail "$TABLE: cannot read production ($(pg_reason | grep . || echo "$COLS" | head -n 1))"
    [ -n "$COLS" ] || fail "$TABLE: the table does not exist in $PROD_DB"
    PK=$(stg_psql -Atc "SELECT string_agg(quote_ident(a.attname), ',' ORDER BY array_position(c.conkey, a.attnum)) FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) WHERE c.conrelid = 'public.$TABLE'::regclass AND c.contype = 'p'" 2>&1) \\
        || fail "$TABLE: cannot read staging ($(pg_reason | grep . || echo "$PK" | head -n 1))"
    REFS=$(stg_psql -Atc "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND confrelid = 'public.$TABLE'::regclass AND conrelid <> confrelid" 2>&1) \\
        || fail "$TABLE: cannot read staging ($(pg_reason | grep . || echo "$REFS" | head -n 1))"
    OUT=$(
        {
            echo 'BEGIN;'
            echo "SET LOCAL lock_timeout = '120s';"
            if [ "$REFS" = 0 ] || [ -z "$PK" ]; then
                echo "TRUNCATE TABLE public.$TABLE;"
                echo "COPY public.$TABLE ($COLS) FROM STDIN;"
            else
                echo "CREATE TEMP TABLE jutsu_src (LIKE public.$TABLE INCLUDING DEFAULTS) ON COMMIT DROP;"
                echo "COPY jutsu_src ($COLS) FROM STDIN;"
            fi
            prod_psql -c "COPY public.$TABLE ($COLS) TO STDOUT" || { echo "jutsu-sync: reading $TABLE from $PROD_DB failed" >&2; exit 1; }
            echo '\\.'
            if [ "$REFS" != 0 ] && [ -n "$PK" ]; then
                J=$(echo "$PK" | tr ',' '\\n' | sed 's/.*/t.& = s.&/' | paste -sd '&' | sed 's/&/ AND /g')
                echo "DELETE FROM public.$TABLE t WHERE NOT EXISTS (SELECT 1 FROM jutsu_src s WHERE $J);"
                echo "UPDATE public.$TABLE t SET ($COLS) = ($(echo "$COLS" | sed 's/[^,][^,]*/s.&/g')) FROM jutsu_src s WHERE $J AND ROW(t.*)::text IS DISTINCT FROM ROW(s.*)::text;"
                echo "INSERT INTO public.$TABLE ($COLS) SELECT $COLS FROM jutsu_src s WHERE NOT EXISTS (SELECT 1 FROM public.$TABLE t WHERE $J);"
            fi
            # serial columns continue after the copied ids
            printf 'DO $jutsu$ DECLARE r record; v bigint; BEGIN FOR r IN SELECT a.attname, pg_get_serial_sequence(%s, a.attname) AS seq FROM pg_attribute a WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped LOOP IF r.seq IS NOT NULL THEN EXECUTE format(%s, r.attname) INTO v; PERFORM setval(r.seq, coalesce(v, 1), v IS NOT NULL); END IF; END LOOP; END $jutsu$;\\n' "'public.$TABLE'" "'public.$TABLE'" "'SELECT max(%I) FROM public.$TABLE'"
            echo "SELECT 'jutsu-rows=' || count(*) FROM public.$TABLE;"
            echo 'COMMIT;'
            echo '\\echo jutsu-committed'
        } | stg_psql -At 2>&1
    )
    RC=$?
    if [ $RC -ne 0 ] || ! printf '%s\\n' "$OUT" | grep -qx 'jutsu-committed'; then
        printf '%s\\n' "$OUT" | grep -v '^jutsu-' | head -n 20 >> "$LOG_FILE"
        REASON=$(pg_reason)
        [ -n "$REASON" ] || REASON=$(printf '%s\\n' "$OUT" | grep -m 1 -E 'ERROR|FATAL|error|failed|No such|not running' || true)
        fail "$TABLE: \${REASON:-the refresh did not commit (exit $RC)}; staging's $TABLE was left as it was"
    fi
    COUNT=$(printf '%s\\n' "$OUT" | sed -n 's/^jutsu-rows=//p' | tail -n 1)
    log "$TABLE: $COUNT rows synced"
done

log "Staging sync complete"
exit 0
`;
}

/** Mask secret assignments in a script's text before it is shown (the seed's script holds PGPASSWORD). */
export function maskScript(text: string): string {
	return text.split('\n').map(line => {
		const m = /^(\s*(?:export\s+)?[A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN)[A-Z0-9_]*=)(["']?)(.*?)\2\s*$/u.exec(line);
		if (m && m[3] && !m[3].startsWith('$') && !m[3].startsWith('<')) {
			scrubber.add(m[3]);
			return `${m[1]}${m[2]}${MASK}${m[2]}`;
		}
		return line;
	}).map(line => scrubber.scrub(line)).join('\n');
}

/** A unified-ish line diff (LCS), enough for a preview of a script replacement. */
export function lineDiff(before: string, after: string): string[] {
	const a = before.split('\n');
	const b = after.split('\n');
	const n = a.length;
	const m = b.length;
	const dp: number[][] = Array.from({length: n + 1}, () => new Array<number>(m + 1).fill(0));
	for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) dp[i]![j] = a[i] === b[j] ? dp[i + 1]![j + 1]! + 1 : Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!);
	const out: string[] = [];
	let i = 0;
	let j = 0;
	while (i < n && j < m) {
		if (a[i] === b[j]) {
			out.push(`  ${a[i]}`);
			i++;
			j++;
		} else if (dp[i + 1]![j]! >= dp[i]![j + 1]!) out.push(`- ${a[i++]}`);
		else out.push(`+ ${b[j++]}`);
	}
	while (i < n) out.push(`- ${a[i++]}`);
	while (j < m) out.push(`+ ${b[j++]}`);
	return out;
}

export interface InstallPreview {
	path: string;
	exists: boolean;
	isSafeAlready: boolean;
	/** Diff lines, secrets masked. */
	diff: string[];
	newText: string;
}

/** Read the installed script and diff it against the safe script (nothing is written). */
export async function previewSafeScript(transport: Transport, profile: Profile, signal?: AbortSignal): Promise<InstallPreview> {
	const path = profile.sync.script;
	const result = await transport.exec(sh`if [ -f ${path} ]; then echo exists; cat ${path}; else echo missing; fi`, {signal, quiet: false});
	if (result.code !== 0) throw new OpsError('remote', `Could not read ${path} on the host. Nothing was changed.`);
	const exists = result.stdout.startsWith('exists\n');
	const current = exists ? result.stdout.slice('exists\n'.length) : '';
	const newText = renderSafeScript(safeScriptOptions(profile));
	return {
		path, exists, newText,
		isSafeAlready: current === newText,
		diff: lineDiff(maskScript(current.replace(/\n$/u, '')), newText.replace(/\n$/u, '')),
	};
}

export interface InstallResult {
	path: string;
	backup?: string;
	changed: boolean;
}

/** Write the safe script (atomically, 755), keeping the replaced file as `<path>.bak-<timestamp>` (mode 600). */
export async function installSafeScript(transport: Transport, profile: Profile, signal?: AbortSignal): Promise<InstallResult> {
	const path = profile.sync.script;
	const text = renderSafeScript(safeScriptOptions(profile));
	const stamp = new Date().toISOString().replace(/[-:]/gu, '').replace(/\..*$/u, '').replace('T', '-');
	const backup = `${path}.bak-${stamp}`;
	const script = sh`P=${path}; B=${backup}
mkdir -p "$(dirname "$P")" || exit 3
T="$P.jutsu-new.$$"
cat > "$T" || exit 3
if [ -f "$P" ] && cmp -s "$T" "$P"; then rm -f "$T"; chmod 755 "$P"; echo unchanged; exit 0; fi
if [ -f "$P" ]; then cp -p "$P" "$B" && chmod 600 "$B" || { rm -f "$T"; exit 4; }; echo "backup=$B"; fi
chmod 755 "$T" && mv -f "$T" "$P" || exit 5
echo installed`;
	const result = await transport.exec(script, {signal, stdin: text});
	if (result.code !== 0) {
		throw new OpsError('remote', `Could not install the safe sync script at ${path} (exit ${result.code}). The existing script was not replaced.`, {hint: result.stderr.trim().split('\n')[0] ?? ''});
	}
	const b = /^backup=(.*)$/mu.exec(result.stdout)?.[1];
	return {path, changed: !result.stdout.includes('unchanged'), ...(b ? {backup: b} : {})};
}
