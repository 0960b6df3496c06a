/**
 * Running the sync script on the host, detached from the SSH session: a wrapper started with setsid/nohup takes
 * the flock, records who holds it, runs the script and writes its exit code. The tool streams the sync log and
 * the run's own output by byte offset, so after a dropped connection it picks up where it was.
 */
import {StringDecoder} from 'node:string_decoder';
import type {Profile} from '../config/schema.js';
import {OpsError, isOpsError} from '../errors.js';
import {sh, ShellScript} from '../quote.js';
import type {Transport} from '../transport/types.js';
import {whoAmI} from '../who.js';

export interface SyncPaths {
	stateDir: string;
	lock: string;
	holder: string;
	runs: string;
}

/** Where jutsu-ops keeps its run state on the host: next to the appdata folder of the script (`.../jutsu/.jutsu-ops`). */
export function syncPaths(profile: Profile): SyncPaths {
	const scriptDir = profile.sync.script.replace(/\/[^/]*$/u, '') || '/';
	const base = scriptDir.replace(/\/scripts$/u, '');
	const stateDir = `${base === '' ? '' : base}/.jutsu-ops`;
	return {stateDir, lock: `${stateDir}/sync.lock`, holder: `${stateDir}/sync.lock.holder`, runs: `${stateDir}/runs`};
}

export interface LockHolder {
	runId?: string;
	pid?: number;
	since?: number;
	by?: string;
	script?: string;
}

export interface LockState {
	held: boolean;
	holder?: LockHolder;
	/** The script running without the lock (e.g. the seed's script started by cron): pids. */
	unlockedPids: number[];
}

function parseKeyValues(text: string): Record<string, string> {
	const out: Record<string, string> = {};
	for (const line of text.split('\n')) {
		const eq = line.indexOf('=');
		if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
	}
	return out;
}

function holderFrom(text: string): LockHolder | undefined {
	const kv = parseKeyValues(text);
	if (!Object.keys(kv).length) return undefined;
	return {
		...(kv.run ? {runId: kv.run} : {}),
		...(kv.pid ? {pid: Number(kv.pid)} : {}),
		...(kv.since ? {since: Number(kv.since)} : {}),
		...(kv.by ? {by: kv.by} : {}),
		...(kv.script ? {script: kv.script} : {}),
	};
}

const NOW_MS = String.raw`now_ms() { t=$(date +%s%3N 2>/dev/null); case "$t" in *N*|'') echo "$(( $(date +%s) * 1000 ))";; *) echo "$t";; esac; }`;

/** Pids of processes running the script itself (`bash SCRIPT`, `sh SCRIPT`, `SCRIPT`), excluding this shell. */
const SCRIPT_PIDS = String.raw`script_pids() { ps -eo pid=,args= 2>/dev/null | awk -v s="$S" -v self="$$" '$1 != self && ($2 == s || ($2 ~ /(^|\/)(ba)?sh$/ && $3 == s)) {print $1}'; }`;

/** Whether a run holds the lock (and who, since when), and whether the script runs outside any lock. */
export async function readLockState(transport: Transport, profile: Profile, signal?: AbortSignal): Promise<LockState> {
	const p = syncPaths(profile);
	const script = sh`S=${profile.sync.script}; L=${p.lock}; H=${p.holder}
${raw(SCRIPT_PIDS)}
if [ -e "$L" ] && command -v flock >/dev/null 2>&1 && ! flock -n "$L" true 2>/dev/null; then echo held=1; cat "$H" 2>/dev/null; else echo held=0; fi
echo "unlocked=$(script_pids | tr '\n' ' ')"`;
	const result = await transport.exec(script, {signal});
	if (result.code !== 0) throw new OpsError('remote', `Could not read the sync lock on ${transport.label}. Nothing was changed.`, {hint: result.stderr.trim().split('\n')[0] ?? ''});
	const kv = parseKeyValues(result.stdout);
	const held = kv.held === '1';
	const holder = held ? holderFrom(result.stdout) : undefined;
	const unlockedPids = (kv.unlocked ?? '').split(/\s+/u).filter(Boolean).map(Number);
	return {held, ...(holder ? {holder} : {}), unlockedPids: held ? [] : unlockedPids};
}

/** Trusted shell text written in this file (no interpolation). */
function raw(text: string): ShellScript {
	return ShellScript.fromQuoted(text);
}

export interface StartedRun {
	runId: string;
	pid: number;
	startedAt: number;
	/** Byte offsets where this run's output begins in the sync log and in the run's output file. */
	logOffset: number;
	outFile: string;
	exitFile: string;
}

export function describeHolder(holder: LockHolder | undefined): string {
	if (!holder) return 'another process (no holder record)';
	const since = holder.since ? new Date(holder.since).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : 'an unknown time';
	return `${holder.by ?? 'someone'} (run ${holder.runId ?? '?'}, pid ${holder.pid ?? '?'}) since ${since}`;
}

function newRunId(): string {
	const d = new Date();
	const stamp = d.toISOString().replace(/[-:]/gu, '').replace('T', '-').slice(0, 15);
	return `${stamp}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Start the configured script detached on the host (survives a dropped connection). Refuses, naming the holder,
 * when another run holds the lock or the script is already running without it.
 */
export async function startRun(transport: Transport, profile: Profile, signal?: AbortSignal, options: {by?: string; script?: string} = {}): Promise<StartedRun> {
	const p = syncPaths(profile);
	const runId = newRunId();
	const scriptPath = options.script ?? profile.sync.script;
	const by = options.by ?? `${whoAmI()} (jutsu-ops)`;
	const out = `${p.runs}/${runId}.out`;
	const exitFile = `${p.runs}/${runId}.exit`;
	// The detached wrapper: lock, holder record, the script (inheriting fd 9 = the lock), exit record.
	const wrapper = String.raw`L="$1"; H="$2"; R="$3"; S="$4"; BY="$5"; RUN="$6"
${NOW_MS}
exec 9>>"$L"
if ! flock -n 9; then echo refused > "$R.refused"; exit 75; fi
start=$(now_ms)
printf 'run=%s\npid=%s\nsince=%s\nby=%s\nscript=%s\n' "$RUN" "$$" "$start" "$BY" "$S" > "$H.tmp" && mv -f "$H.tmp" "$H"
echo "$$ $start" > "$R.pid"
aborted=0
trap 'aborted=1' TERM INT HUP
JUTSU_OPS_LOCK="$L" "$S" </dev/null &
child=$!
wait "$child"; code=$?
while kill -0 "$child" 2>/dev/null; do wait "$child"; code=$?; done
end=$(now_ms)
rm -f "$H"
printf '%s %s %s\n' "$code" "$end" "$aborted" > "$R.exit.tmp" && mv -f "$R.exit.tmp" "$R.exit"`;
	const script = sh`S=${scriptPath}; L=${p.lock}; H=${p.holder}; RUNS=${p.runs}; RUN=${runId}; LOG=${profile.sync.log}; BY=${by}; W=${wrapper}
${raw(SCRIPT_PIDS)}
command -v flock >/dev/null 2>&1 || { echo 'reason=flock is not installed on the host'; exit 3; }
command -v setsid >/dev/null 2>&1 || { echo 'reason=setsid is not installed on the host'; exit 3; }
[ -f "$S" ] || { echo "reason=the script $S does not exist"; exit 4; }
[ -x "$S" ] || { echo "reason=the script $S is not executable"; exit 4; }
mkdir -p "$RUNS" || { echo "reason=cannot create $RUNS"; exit 3; }
chmod 700 "$(dirname "$RUNS")" 2>/dev/null
if [ -e "$L" ] && ! flock -n "$L" true 2>/dev/null; then echo busy=1; cat "$H" 2>/dev/null; exit 75; fi
pids=$(script_pids | tr '\n' ' ')
if [ -n "$pids" ]; then echo "unlocked=$pids"; exit 75; fi
logoff=$(stat -c %s "$LOG" 2>/dev/null || echo 0)
R="$RUNS/$RUN"
: > "$R.out"; chmod 600 "$R.out"; echo "$logoff" > "$R.logoff"
setsid nohup bash -c "$W" jutsu-sync "$L" "$H" "$R" "$S" "$BY" "$RUN" > "$R.out" 2>&1 < /dev/null &
i=0
while [ $i -lt 100 ]; do
  if [ -s "$R.pid" ]; then echo "logoff=$logoff"; echo "started=$(cat "$R.pid")"; exit 0; fi
  if [ -e "$R.refused" ]; then echo busy=1; cat "$H" 2>/dev/null; exit 75; fi
  sleep 0.05; i=$((i + 1))
done
echo 'reason=the run did not start within 5 s'; exit 3`;
	const result = await transport.exec(script, {signal, timeoutMs: 30_000});
	const kv = parseKeyValues(result.stdout);
	if (result.code === 75) {
		if (kv.unlocked) {
			throw new OpsError('failure', `The sync script is already running on the host without the jutsu-ops lock (pid ${kv.unlocked.trim()}). Nothing was started.`, {hint: 'Wait for it to finish (jutsu-ops sync attach shows its log).'});
		}
		throw new OpsError('failure', `A sync is already running: the lock is held by ${describeHolder(holderFrom(result.stdout))}. Nothing was started.`, {hint: 'Watch it with jutsu-ops sync attach, or wait for it to finish.'});
	}
	if (result.code !== 0 || !kv.started) {
		throw new OpsError('remote', `Could not start the sync on ${transport.label}: ${kv.reason ?? (result.stderr.trim().split('\n')[0] || `exit ${result.code}`)}. Nothing was started.`, {
			hint: 'Run jutsu-ops sync preflight to see what is missing.',
		});
	}
	const [pid, start] = kv.started.split(/\s+/u).map(Number);
	return {runId, pid: pid!, startedAt: start!, logOffset: Number(kv.logoff ?? 0), outFile: out, exitFile};
}

export interface RunEnd {
	code: number | null;
	endedAt: number;
	aborted: boolean;
	/** The wrapper vanished without recording an end (host rebooted, killed with -9). */
	lost?: boolean;
}

export interface StreamTarget {
	/** A name for the stream: 'log' or 'out'. */
	id: string;
	path: string;
	/** Bytes already seen; streaming resumes from here. */
	offset: number;
}

export interface StreamOptions {
	signal?: AbortSignal;
	/** Stop when this file exists and every stream is drained (a run's `.exit` file); read it as the RunEnd. */
	exitFile?: string;
	/** The wrapper's pid: when it is gone and no exit file exists, the run is lost. */
	pid?: number;
	onLine: (stream: string, line: string) => void;
	/** Connection state changes while streaming (reconnecting, resumed). */
	onStatus?: (status: 'streaming' | 'reconnecting') => void;
	pollMs?: number;
}

/**
 * Stream files from byte offsets (base64 frames, so offsets stay exact), resuming after a dropped connection.
 * Returns the RunEnd when `exitFile` is given; otherwise runs until aborted.
 */
export async function streamFiles(transport: Transport, targets: StreamTarget[], options: StreamOptions): Promise<RunEnd | undefined> {
	const decoders = new Map(targets.map(t => [t.id, {decoder: new StringDecoder('utf8'), partial: ''}]));
	const emit = (id: string, text: string, final = false) => {
		const state = decoders.get(id)!;
		const all = state.partial + text;
		const lines = all.split('\n');
		state.partial = final ? '' : (lines.pop() ?? '');
		for (const line of final ? lines.filter((l, i) => i < lines.length - 1 || l !== '') : lines) options.onLine(id, line.replace(/\r$/u, ''));
	};
	let end: RunEnd | undefined;
	const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));
	const poll = (options.pollMs ?? 150) / 1000;
	for (let attempt = 0; ; attempt++) {
		if (options.signal?.aborted) throw new OpsError('aborted', 'Stopped watching.');
		const args: (string | number)[] = [];
		for (const t of targets) args.push(t.id, t.path, t.offset);
		const script = sh`E=${options.exitFile ?? ''}; P=${options.pid ?? 0}; POLL=${poll}
set -- ${args}
n=$(($# / 3))
idle=0
while :; do
  done_now=0; [ -n "$E" ] && [ -s "$E" ] && done_now=1
  moved=0
  i=0; set -- ${args}
  while [ $# -gt 0 ]; do
    id=$1; f=$2; off=$3; shift 3
    eval "cur=\\\${OFF_$id:-$off}"
    size=$(stat -c %s "$f" 2>/dev/null || echo 0)
    if [ "$size" -lt "$cur" ]; then cur=0; fi
    if [ "$size" -gt "$cur" ]; then
      len=$((size - cur)); [ $len -gt 262144 ] && len=262144
      printf '@@F %s %s %s ' "$id" "$cur" "$len"; tail -c +$((cur + 1)) "$f" | head -c $len | base64 | tr -d '\n'; echo
      cur=$((cur + len)); moved=1
    fi
    eval "OFF_$id=$cur"
  done
  if [ $moved = 0 ]; then
    if [ $done_now = 1 ]; then echo "@@E $(cat "$E")"; exit 0; fi
    if [ -n "$E" ] && [ "$P" != 0 ] && ! kill -0 "$P" 2>/dev/null && [ ! -s "$E" ]; then
      sleep 0.5; [ -s "$E" ] && continue; echo '@@L'; exit 0
    fi
    sleep "$POLL"
  fi
done`;
		let buffer = '';
		const onChunk = (chunk: string) => {
			buffer += chunk;
			let index = buffer.indexOf('\n');
			while (index !== -1) {
				const line = buffer.slice(0, index).replace(/\r$/u, '');
				buffer = buffer.slice(index + 1);
				handle(line);
				index = buffer.indexOf('\n');
			}
		};
		const handle = (line: string) => {
			if (line.startsWith('@@F ')) {
				const [, id = '', off = '0', len = '0', data = ''] = line.split(' ');
				const target = targets.find(t => t.id === id);
				if (!target || Number(off) !== target.offset) return; // a frame already seen (resume overlap)
				const bytes = Buffer.from(data, 'base64');
				if (bytes.length !== Number(len)) return;
				target.offset += bytes.length;
				emit(id, decoders.get(id)!.decoder.write(bytes));
			} else if (line.startsWith('@@E ')) {
				const [code = '', endedAt = '0', aborted = '0'] = line.slice(4).trim().split(/\s+/u);
				end = {code: code === '' ? null : Number(code), endedAt: Number(endedAt), aborted: aborted === '1'};
			} else if (line === '@@L') {
				end = {code: null, endedAt: Date.now(), aborted: false, lost: true};
			}
		};
		try {
			if (attempt > 0) options.onStatus?.('streaming');
			const result = await transport.exec(script, {signal: options.signal, timeoutMs: 0, pty: true, onStdout: onChunk, quiet: attempt > 0});
			if (!end && result.code !== 0 && result.code !== null) {
				throw new OpsError('remote', `Could not follow ${targets.map(t => t.path).join(' and ')} on ${transport.label} (exit ${result.code}).`, {hint: (result.stderr.trim().split('\n')[0] ?? '') || 'Check that stat, tail, head and base64 exist on the host.'});
			}
			if (end || !options.exitFile) {
				for (const t of targets) emit(t.id, decoders.get(t.id)!.decoder.end(), true);
				return end;
			}
			await sleep(200);
		} catch (error) {
			if (isOpsError(error) && error.kind === 'aborted') throw error;
			if (options.signal?.aborted) throw new OpsError('aborted', 'Stopped watching.');
			if (!isOpsError(error) || (error.kind !== 'connection' && error.kind !== 'timeout')) throw error;
			options.onStatus?.('reconnecting');
			await sleep(Math.min(5000, 300 * (attempt + 1)));
		}
	}
}

/** Stop a run: TERM to its process group, then KILL after `graceMs`; the lock is released when the group is gone. */
export async function abortRun(transport: Transport, profile: Profile, run: {runId: string; pid: number}, signal?: AbortSignal, graceMs = 8000): Promise<void> {
	const p = syncPaths(profile);
	const script = sh`PG=${run.pid}; L=${p.lock}; GRACE=${Math.ceil(graceMs / 100)}
kill -TERM -- "-$PG" 2>/dev/null || kill -TERM "$PG" 2>/dev/null
i=0
while [ $i -lt "$GRACE" ]; do
  kill -0 -- "-$PG" 2>/dev/null || break
  sleep 0.1; i=$((i + 1))
done
kill -0 -- "-$PG" 2>/dev/null && kill -KILL -- "-$PG" 2>/dev/null
sleep 0.2
flock -n "$L" true 2>/dev/null && echo released=1 || echo released=0`;
	const result = await transport.exec(script, {signal: signal && !signal.aborted ? signal : undefined, timeoutMs: graceMs + 15_000});
	if (!result.stdout.includes('released=1')) {
		throw new OpsError('remote', `The sync run ${run.runId} was signalled but its lock is still held.`, {hint: 'Another run may have started; check jutsu-ops sync preflight.'});
	}
}

/** The most recent run started by jutsu-ops that has not recorded an end (for reattaching after a restart). */
export async function findActiveRun(transport: Transport, profile: Profile, signal?: AbortSignal): Promise<(StartedRun & {runningFor: number}) | undefined> {
	const p = syncPaths(profile);
	const script = sh`RUNS=${p.runs}; LOG=${profile.sync.log}
for f in $(ls -1t "$RUNS"/*.pid 2>/dev/null | head -n 5); do
  r="\${f%.pid}"; [ -s "$r.exit" ] && continue
  set -- $(cat "$f"); kill -0 "$1" 2>/dev/null || continue
  echo "run=$(basename "$r") $1 $2 $(cat "$r.logoff" 2>/dev/null || echo 0)"; break
done`;
	const result = await transport.exec(script, {signal});
	const m = /^run=(\S+) (\d+) (\d+) (\d+)$/mu.exec(result.stdout);
	if (!m) return undefined;
	const runId = m[1]!;
	return {
		runId, pid: Number(m[2]), startedAt: Number(m[3]), logOffset: Number(m[4]),
		outFile: `${p.runs}/${runId}.out`, exitFile: `${p.runs}/${runId}.exit`, runningFor: Date.now() - Number(m[3]),
	};
}
