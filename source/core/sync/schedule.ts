/**
 * Where the nightly sync is scheduled on the host (root's crontab, the Unraid User Scripts plugin, or a plugin
 * *.cron file on the flash drive), in which zone the cron daemon reads it, and when it runs next.
 */
import type {Profile} from '../config/schema.js';
import {OpsError} from '../errors.js';
import {sh} from '../quote.js';
import type {Transport} from '../transport/types.js';
import {zonedToEpoch} from '../time.js';
import {isValidCron, nextRunAt, nextRuns, wallClock} from './cron.js';

export type ScheduleSource = 'crontab' | 'user-scripts' | 'plugin-cron' | 'none';

export interface ScheduleInfo {
	source: ScheduleSource;
	/** The file holding the schedule (crontab: `crontab -l` or the spool file; user-scripts: the script's folder). */
	path?: string;
	expression?: string;
	command?: string;
	/** The zone the cron daemon evaluates expressions in (the daemon's TZ, else the host's zone). */
	cronTimeZone: string;
	/** False for a crontab on Unraid (its root filesystem is in RAM). */
	survivesReboot: boolean;
	isUnraid: boolean;
	unraidVersion?: string;
	/** Epoch ms of the next run, when the expression is a valid cron expression. */
	nextRun?: number;
	/** Every schedule line on the host that mentions the sync script (there should be one). */
	entries: ScheduleEntry[];
	/** The crontab as read (for repair), when crontab exists on the host. */
	crontab?: string;
	crontabAvailable: boolean;
}

export interface ScheduleEntry {
	source: Exclude<ScheduleSource, 'none'>;
	path: string;
	expression: string;
	command: string;
	/** A user script that is scheduled but set to "disabled" or "At startup of array" etc. */
	disabled?: boolean;
}

const MARK = '@@jutsu-ops:';

/** One remote call gathering everything the schedule depends on. `$1` is the sync script's path. */
export function scheduleScript(scriptPath: string) {
	return sh`S=${scriptPath}
echo ${MARK}unraid; cat /etc/unraid-version 2>/dev/null
echo ${MARK}tz; printf '%s\n' "\${TZ-}"
echo ${MARK}crontz
pid=$(pgrep -x crond 2>/dev/null | head -n 1); [ -n "$pid" ] || pid=$(pgrep -x cron 2>/dev/null | head -n 1)
[ -n "$pid" ] && tr '\\000' '\\n' < /proc/$pid/environ 2>/dev/null | sed -n 's/^TZ=//p'
echo ${MARK}ident; sed -n 's/^timeZone="\\{0,1\\}\\([^"]*\\)"\\{0,1\\}.*/\\1/p' /boot/config/ident.cfg 2>/dev/null
echo ${MARK}etctimezone; cat /etc/timezone 2>/dev/null
echo ${MARK}localtime; readlink /etc/localtime 2>/dev/null
if command -v crontab >/dev/null 2>&1; then echo ${MARK}crontab; crontab -l 2>/dev/null
elif [ -r /var/spool/cron/crontabs/root ]; then echo ${MARK}spool; cat /var/spool/cron/crontabs/root; fi
for f in /boot/config/plugins/*/*.cron; do [ -f "$f" ] && { echo "${MARK}file $f"; cat "$f"; }; done
for f in $(find /boot/config/plugins/user.scripts -name schedule.json 2>/dev/null); do echo "${MARK}schedulejson $f"; cat "$f"; echo; done
for f in /boot/config/plugins/user.scripts/scripts/*/script; do [ -f "$f" ] && grep -qF -- "$S" "$f" && echo "${MARK}userscript $f"; done
echo ${MARK}end
exit 0`;
}

export interface RawSchedule {
	unraidVersion?: string;
	tzEnv?: string;
	cronDaemonTz?: string;
	identTz?: string;
	etcTimezone?: string;
	localtimeLink?: string;
	crontab?: string;
	crontabFrom?: 'crontab' | 'spool';
	pluginCron: {path: string; text: string}[];
	scheduleJson: {path: string; text: string}[];
	userScripts: string[];
}

export function parseScheduleOutput(stdout: string): RawSchedule {
	const raw: RawSchedule = {pluginCron: [], scheduleJson: [], userScripts: []};
	let section = '';
	let arg = '';
	let buffer: string[] = [];
	const flush = () => {
		const text = buffer.join('\n').replace(/\n+$/u, '');
		const first = text.split('\n')[0]?.trim() ?? '';
		switch (section) {
			case 'unraid': {
				const m = /version="?([^"\s]+)"?/u.exec(text);
				if (m) raw.unraidVersion = m[1];
				else if (first) raw.unraidVersion = first;
				break;
			}
			case 'tz': if (first) raw.tzEnv = first; break;
			case 'crontz': if (first) raw.cronDaemonTz = first; break;
			case 'ident': if (first) raw.identTz = first; break;
			case 'etctimezone': if (first) raw.etcTimezone = first; break;
			case 'localtime': if (first) raw.localtimeLink = first; break;
			case 'crontab': raw.crontab = text; raw.crontabFrom = 'crontab'; break;
			case 'spool': raw.crontab = text; raw.crontabFrom = 'spool'; break;
			case 'file': raw.pluginCron.push({path: arg, text}); break;
			case 'schedulejson': raw.scheduleJson.push({path: arg, text}); break;
			case 'userscript': raw.userScripts.push(arg); break;
			default: break;
		}
	};
	for (const line of stdout.split('\n')) {
		if (line.startsWith(MARK)) {
			flush();
			const rest = line.slice(MARK.length);
			const space = rest.indexOf(' ');
			section = space < 0 ? rest : rest.slice(0, space);
			arg = space < 0 ? '' : rest.slice(space + 1);
			buffer = [];
		} else {
			buffer.push(line);
		}
	}
	flush();
	return raw;
}

function validZone(zone: string | undefined): string | undefined {
	if (!zone) return undefined;
	const z = zone.replace(/^:/u, '').replace(/^.*zoneinfo\//u, '');
	try {
		new Intl.DateTimeFormat('en-US', {timeZone: z});
		return z;
	} catch {
		return undefined;
	}
}

/** The zone cron uses: the daemon's own TZ, else the host's configured zone, else UTC. */
export function hostTimeZone(raw: RawSchedule): string {
	return validZone(raw.cronDaemonTz) ?? validZone(raw.identTz) ?? validZone(raw.tzEnv)
		?? validZone(raw.etcTimezone) ?? validZone(raw.localtimeLink) ?? 'UTC';
}

/** Cron lines (`m h dom mon dow command`, or `@macro command`) whose command mentions `needle`. */
export function cronLinesMentioning(text: string, needle: string): {expression: string; command: string}[] {
	const out: {expression: string; command: string}[] = [];
	for (const rawLine of text.split('\n')) {
		const line = rawLine.trim();
		if (!line || line.startsWith('#') || /^[A-Za-z_][A-Za-z0-9_]*\s*=/u.test(line)) continue;
		let expression: string;
		let command: string;
		if (line.startsWith('@')) {
			const m = /^(@\w+)\s+(.*)$/u.exec(line);
			if (!m) continue;
			expression = m[1]!;
			command = m[2]!;
		} else {
			const parts = line.split(/\s+/u);
			if (parts.length < 6) continue;
			expression = parts.slice(0, 5).join(' ');
			command = line.replace(/^(\S+\s+){5}/u, '');
		}
		if (command.includes(needle)) out.push({expression, command});
	}
	return out;
}

/** The User Scripts plugin's schedule.json: `{"<script path>": {frequency, custom, ...}}`. */
function userScriptSchedules(raw: RawSchedule): Map<string, {frequency: string; custom?: string}> {
	const map = new Map<string, {frequency: string; custom?: string}>();
	for (const file of raw.scheduleJson) {
		try {
			const parsed = JSON.parse(file.text) as Record<string, {script?: string; frequency?: string; custom?: string}>;
			for (const [key, value] of Object.entries(parsed)) {
				const script = value.script ?? key;
				map.set(script, {frequency: value.frequency ?? 'disabled', ...(value.custom ? {custom: value.custom} : {})});
			}
		} catch {
			// an unreadable schedule.json counts as no schedule
		}
	}
	return map;
}

const USER_SCRIPT_FREQUENCIES: Record<string, string> = {hourly: '@hourly', daily: '@daily', weekly: '@weekly', monthly: '@monthly'};

/** Pure: turn what the host said into a ScheduleInfo for `scriptPath`. */
export function interpretSchedule(raw: RawSchedule, scriptPath: string, now: number): ScheduleInfo {
	const isUnraid = raw.unraidVersion !== undefined;
	const cronTimeZone = hostTimeZone(raw);
	const entries: ScheduleEntry[] = [];
	const schedules = userScriptSchedules(raw);
	for (const script of raw.userScripts) {
		const s = schedules.get(script);
		const folder = script.replace(/\/script$/u, '');
		if (!s) {
			entries.push({source: 'user-scripts', path: folder, expression: '', command: script, disabled: true});
			continue;
		}
		const expression = s.frequency === 'custom' ? (s.custom ?? '') : (USER_SCRIPT_FREQUENCIES[s.frequency] ?? '');
		entries.push({source: 'user-scripts', path: folder, expression, command: script, ...(expression ? {} : {disabled: true})});
	}
	for (const file of raw.pluginCron) {
		for (const line of cronLinesMentioning(file.text, scriptPath)) entries.push({source: 'plugin-cron', path: file.path, ...line});
		// the User Scripts plugin's generated cron names the user script, not the sync script
		for (const script of raw.userScripts) {
			for (const line of cronLinesMentioning(file.text, script)) {
				const entry = entries.find(e => e.source === 'user-scripts' && e.command === script);
				if (entry && !entry.expression) {
					entry.expression = line.expression;
					delete entry.disabled;
				}
			}
		}
	}
	if (raw.crontab !== undefined) {
		const path = raw.crontabFrom === 'spool' ? '/var/spool/cron/crontabs/root' : 'crontab -l (root)';
		for (const line of cronLinesMentioning(raw.crontab, scriptPath)) entries.push({source: 'crontab', path, ...line});
	}
	// prefer what survives a reboot on Unraid (flash drive), then any enabled entry
	const order: ScheduleSource[] = isUnraid ? ['user-scripts', 'plugin-cron', 'crontab'] : ['crontab', 'user-scripts', 'plugin-cron'];
	const chosen = order.map(source => entries.find(e => e.source === source && !e.disabled && e.expression)).find(Boolean);
	const base = {
		cronTimeZone, isUnraid, entries,
		crontabAvailable: raw.crontabFrom === 'crontab',
		...(raw.unraidVersion ? {unraidVersion: raw.unraidVersion} : {}),
		...(raw.crontab === undefined ? {} : {crontab: raw.crontab}),
	};
	if (!chosen) return {...base, source: 'none', survivesReboot: false};
	const nextRun = isValidCron(chosen.expression) ? nextRunAt(chosen.expression, cronTimeZone, now) : undefined;
	return {
		...base,
		source: chosen.source,
		path: chosen.path,
		expression: chosen.expression,
		command: chosen.command,
		survivesReboot: chosen.source === 'crontab' ? !isUnraid : true,
		...(nextRun === undefined ? {} : {nextRun}),
	};
}

/** Read the schedule of `profile.sync.script` from the host in one remote call. */
export async function readSchedule(transport: Transport, profile: Profile, signal?: AbortSignal): Promise<ScheduleInfo> {
	const result = await transport.exec(scheduleScript(profile.sync.script), {signal});
	if (result.code !== 0 || !result.stdout.includes(`${MARK}end`)) {
		throw new OpsError('remote', `Could not read the sync schedule on ${transport.label} (exit ${result.code ?? result.signal}). Nothing was changed.`, {
			hint: (result.stderr.trim().split('\n')[0] ?? '') || 'Check the SSH session on the host.',
		});
	}
	return interpretSchedule(parseScheduleOutput(result.stdout), profile.sync.script, Date.now());
}

export interface TargetTimeCheck {
	/** Every run in the next year falls at the target wall time in the target zone (DST-change nights aside). */
	ok: boolean;
	/** Runs checked, and how many missed the target on ordinary days. */
	checked: number;
	missed: number;
	/** Runs off by at most an hour on a night when either zone changes its UTC offset. */
	dstShifted: number;
	/** A run that misses, as the target zone's wall clock `HH:MM`. */
	example?: string;
	/** Right for part of the year only: the line was converted for one UTC offset and drifts with DST. */
	dstCaveat: boolean;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

function offsetMinutes(instant: number, zone: string): number {
	const w = wallClock(instant, zone);
	const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
	return Math.round((asUtc - Math.floor(instant / 60_000) * 60_000) / 60_000);
}

function offsetChangesNear(at: number, zone: string): boolean {
	return offsetMinutes(at - 43_200_000, zone) !== offsetMinutes(at + 43_200_000, zone);
}

/**
 * Does `expression`, read by a cron daemon in `cronTimeZone`, mean `hour:minute` in `targetZone` (2 AM
 * America/New_York for the seed) on every run over the next year? On a DST-change night a run an hour off is
 * counted apart (cron cannot do better when the two zones change on different instants or 2 AM does not exist).
 */
export function runsAtTargetTime(expression: string, cronTimeZone: string, targetZone: string, from: number, hour = 2, minute = 0): TargetTimeCheck {
	if (!isValidCron(expression)) return {ok: false, checked: 0, missed: 0, dstShifted: 0, dstCaveat: false};
	const runs = nextRuns(expression, cronTimeZone, from, 400).filter(at => at <= from + 366 * 86_400_000);
	let missed = 0;
	let dstShifted = 0;
	let example: string | undefined;
	for (const at of runs) {
		const w = wallClock(at, targetZone);
		if (w.hour === hour && w.minute === minute) continue;
		const target = zonedToEpoch(`${w.year}-${pad2(w.month)}-${pad2(w.day)} ${pad2(hour)}:${pad2(minute)}:00`, targetZone);
		const near = target !== undefined && Math.abs(at - target) <= 3_600_000;
		if (near && (offsetChangesNear(at, targetZone) || offsetChangesNear(at, cronTimeZone))) {
			dstShifted++;
			continue;
		}
		missed++;
		example ??= `${pad2(w.hour)}:${pad2(w.minute)}`;
	}
	return {ok: runs.length > 0 && missed === 0, checked: runs.length, missed, dstShifted, ...(example ? {example} : {}), dstCaveat: missed > 0 && missed < runs.length};
}

/** Is the sync scheduled at 2 AM in the profile's sync zone (the seed: America/New_York)? */
export function scheduleMeansTwoAm(info: ScheduleInfo, profile: Profile, from = Date.now()): TargetTimeCheck {
	if (!info.expression) return {ok: false, checked: 0, missed: 0, dstShifted: 0, dstCaveat: false};
	return runsAtTargetTime(info.expression, info.cronTimeZone, profile.sync.timezone, from);
}

export interface SchedulePlan {
	/** Cron lines (expression + command) in the cron daemon's zone. */
	lines: {expression: string; command: string}[];
	/** The host's cron zone differs from the sync zone in some part of the year: a guard re-checks the hour. */
	dstGuard: boolean;
	note: string;
}

/**
 * Cron lines that run `script` at `hour`:00 in `targetZone` when the cron daemon reads them in `cronZone`.
 * Same zone (or same offsets all year): one plain line. Otherwise every host hour that 2 AM can fall on is
 * listed and a guard (`TZ=<target> date +%H`) runs the script only in the right one, so DST never shifts it.
 */
export function planSchedule(script: string, cronZone: string, targetZone: string, from: number, hour = 2): SchedulePlan {
	const plain = `0 ${hour} * * *`;
	if (runsAtTargetTime(plain, cronZone, targetZone, from, hour, 0).ok) {
		return {lines: [{expression: plain, command: script}], dstGuard: false, note: `0 ${hour} * * * in ${cronZone} is ${hour}:00 ${targetZone} all year`};
	}
	const slots = new Map<number, Set<number>>();
	for (let day = 0; day < 366; day += 7) {
		const w = wallClock(from + day * 86_400_000, targetZone);
		const pad = (n: number) => String(n).padStart(2, '0');
		const at = zonedToEpoch(`${w.year}-${pad(w.month)}-${pad(w.day)} ${pad(hour)}:00:00`, targetZone);
		if (at === undefined) continue;
		const local = wallClock(at, cronZone);
		if (!slots.has(local.minute)) slots.set(local.minute, new Set());
		slots.get(local.minute)!.add(local.hour);
	}
	const guard = `[ "$(TZ=${targetZone} date +\\%H)" = ${String(hour).padStart(2, '0')} ] && ${script}`;
	const lines = [...slots.entries()].map(([minute, hours]) => ({expression: `${minute} ${[...hours].sort((a, b) => a - b).join(',')} * * *`, command: guard}));
	return {lines, dstGuard: true, note: `the host's cron runs in ${cronZone}: ${lines.map(l => l.expression).join(' and ')} with a guard, so the script starts at ${hour}:00 ${targetZone} before and after DST changes`};
}

const BEGIN = '# jutsu-ops sync schedule BEGIN (managed by jutsu-ops)';
const END = '# jutsu-ops sync schedule END';

/** A crontab with every active line that runs `script` removed and the managed block (re)written at the end. */
export function rewriteCrontab(current: string, script: string, plan: SchedulePlan): string {
	const kept: string[] = [];
	let inBlock = false;
	for (const line of current.split('\n')) {
		if (line === BEGIN) {
			inBlock = true;
			continue;
		}
		if (line === END) {
			inBlock = false;
			continue;
		}
		if (inBlock) continue;
		if (cronLinesMentioning(line, script).length) {
			kept.push(`# disabled by jutsu-ops (replaced below): ${line}`);
			continue;
		}
		kept.push(line);
	}
	while (kept.length && kept.at(-1) === '') kept.pop();
	return [...kept, BEGIN, ...plan.lines.map(l => `${l.expression} ${l.command}`), END, ''].join('\n');
}

export interface ScheduleInstall {
	source: 'crontab' | 'user-scripts';
	plan: SchedulePlan;
	path: string;
}

/** Install or repair the 2 AM schedule: root's crontab on plain Linux, the User Scripts plugin on Unraid. */
export async function installSchedule(transport: Transport, profile: Profile, signal?: AbortSignal): Promise<ScheduleInstall> {
	const info = await readSchedule(transport, profile, signal);
	const plan = planSchedule(profile.sync.script, info.cronTimeZone, profile.sync.timezone, Date.now());
	if (info.isUnraid) {
		const dir = '/boot/config/plugins/user.scripts/scripts/jutsu_staging_sync';
		const expression = plan.lines[0]!.expression;
		const body = `#!/bin/bash\n#description=Nightly production-to-staging sync (jutsu-ops)\n${plan.lines.length > 1 || plan.dstGuard ? plan.lines[0]!.command : profile.sync.script}\n`;
		const script = sh`D=${dir}; J=/boot/config/plugins/user.scripts/schedule.json; E=${expression}
command -v jq >/dev/null 2>&1 || { echo 'jq is missing' >&2; exit 3; }
mkdir -p "$D" || exit 3
cat > "$D/script" && chmod 755 "$D/script" || exit 3
echo 'jutsu_staging_sync' > "$D/name"
[ -s "$J" ] || echo '{}' > "$J"
jq --arg k "$D/script" --arg e "$E" '.[$k] = {script: $k, frequency: "custom", id: "schedule-jutsu", custom: $e}' "$J" > "$J.tmp" && mv -f "$J.tmp" "$J" || exit 4
C=/boot/config/plugins/user.scripts/customSchedule.cron
touch "$C"; grep -vF "$D/script" "$C" > "$C.tmp"; echo "$E /usr/local/emhttp/plugins/user.scripts/startCustom.php $D/script > /dev/null 2>&1" >> "$C.tmp"; mv -f "$C.tmp" "$C"
[ -x /usr/local/sbin/update_cron ] && /usr/local/sbin/update_cron
echo ok`;
		const result = await transport.exec(script, {signal, stdin: body});
		if (result.code !== 0) throw new OpsError('remote', `Could not write the User Scripts schedule on the host (exit ${result.code}). The previous schedule was left as it was.`, {hint: result.stderr.trim().split('\n')[0] ?? ''});
		return {source: 'user-scripts', plan, path: dir};
	}
	if (!info.crontabAvailable) throw new OpsError('missing-tool', 'crontab is not installed on the host; no schedule was written.', {hint: 'Install cron, or schedule the script with the host\'s own scheduler.'});
	const text = rewriteCrontab(info.crontab ?? '', profile.sync.script, plan);
	const result = await transport.exec(['crontab', '-'], {signal, stdin: text});
	if (result.code !== 0) throw new OpsError('remote', `crontab refused the new schedule (exit ${result.code}). The previous crontab was left as it was.`, {hint: result.stderr.trim().split('\n')[0] ?? ''});
	return {source: 'crontab', plan, path: 'crontab -l (root)'};
}
