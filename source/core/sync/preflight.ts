/**
 * The preflight checklist, as data: each check is `{id, title, run}` and returns ok / warn / fail with a detail.
 * One remote call gathers the script, its commands and the lock; the database checks use read-only sessions.
 */
import type {Profile} from '../config/schema.js';
import {isOpsError} from '../errors.js';
import {listColumns, type ColumnInfo} from '../db/pg.js';
import {sh} from '../quote.js';
import {scrubber} from '../secrets.js';
import type {Transport} from '../transport/types.js';
import {describeHolder, readLockState, type LockState} from './run.js';
import {SAFE_SCRIPT_MARKER, maskScript} from './safe-script.js';
import {readSchedule, scheduleMeansTwoAm} from './schedule.js';
import {openPair, type DbPair} from './verify.js';
import {formatInZone} from '../time.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
	id: string;
	title: string;
	status: CheckStatus;
	detail: string;
	/** For the FK check: the tables a TRUNCATE ... CASCADE would also empty. */
	tables?: {table: string; rows: number}[];
}

export interface ScriptFacts {
	exists: boolean;
	executable: boolean;
	/** Masked text (secret assignments hidden). */
	text: string;
	isSafe: boolean;
	usesCascade: boolean;
	/** Commands the script calls, and whether the SSH session finds them. */
	commands: {name: string; found: boolean}[];
	stagingDb?: string;
	prodDb?: string;
}

export interface PreflightContext {
	transport: Transport;
	profile: Profile;
	signal?: AbortSignal;
	script: ScriptFacts;
	lock: LockState;
	db: () => Promise<DbPair>;
}

export interface PreflightCheck {
	id: string;
	title: string;
	run(ctx: PreflightContext): Promise<Omit<CheckResult, 'id' | 'title'>>;
}

const CANDIDATES = ['psql', 'pg_dump', 'pg_restore', 'pg_dumpall', 'docker', 'flock', 'curl', 'jq', 'gzip'];

/** Which known commands a script calls (words outside comments). */
export function commandsIn(text: string): string[] {
	const code = text.split('\n').map(l => l.replace(/(^|\s)#.*$/u, '')).join('\n');
	return CANDIDATES.filter(c => new RegExp(`(^|[\\s|;&(\`$])${c}(?=\\s|$|;|\\))`, 'mu').test(code));
}

function assignment(text: string, name: string): string | undefined {
	const m = new RegExp(`^\\s*${name}=(["']?)([^"'\\s]+)\\1`, 'mu').exec(text);
	return m?.[2];
}

export async function readScriptFacts(transport: Transport, profile: Profile, signal?: AbortSignal): Promise<ScriptFacts> {
	const path = profile.sync.script;
	const result = await transport.exec(sh`S=${path}
for c in ${CANDIDATES}; do if command -v "$c" >/dev/null 2>&1; then echo "cmd $c 1"; else echo "cmd $c 0"; fi; done
if [ -f "$S" ]; then echo exists; [ -x "$S" ] && echo executable; echo '@@text'; cat "$S"; fi`, {signal});
	const [head = '', ...rest] = result.stdout.split('@@text\n');
	const raw = rest.join('@@text\n');
	const found = new Map<string, boolean>();
	for (const m of head.matchAll(/^cmd (\S+) ([01])$/gmu)) found.set(m[1]!, m[2] === '1');
	const text = maskScript(raw);
	for (const name of ['PGPASSWORD', 'PASSWORD']) {
		const value = assignment(raw, `(?:export\\s+)?${name}`);
		if (value) scrubber.add(value);
	}
	const isSafe = raw.includes(SAFE_SCRIPT_MARKER);
	const stagingDb = assignment(raw, 'STAGING_DB');
	const prodDb = assignment(raw, 'PROD_DB');
	return {
		exists: /^exists$/mu.test(head),
		executable: /^executable$/mu.test(head),
		text,
		isSafe,
		usesCascade: /TRUNCATE[^;\n]*CASCADE/iu.test(raw),
		commands: commandsIn(raw).map(name => ({name, found: found.get(name) ?? false})),
		...(stagingDb ? {stagingDb} : {}),
		...(prodDb ? {prodDb} : {}),
	};
}

/** Tables that reference the synced tables by foreign key, transitively (what TRUNCATE ... CASCADE empties). */
export async function cascadeDependents(staging: DbPair['staging'], tables: readonly string[]): Promise<{table: string; rows: number}[]> {
	const rows = await staging.query<{tbl: string}>(
		`WITH RECURSIVE roots AS (
		   SELECT to_regclass('public.' || quote_ident(t)) AS relid FROM unnest($1::text[]) AS t
		 ), deps(relid) AS (
		   SELECT c.conrelid FROM pg_constraint c JOIN roots r ON c.confrelid = r.relid WHERE c.contype = 'f'
		   UNION
		   SELECT c.conrelid FROM pg_constraint c JOIN deps d ON c.confrelid = d.relid WHERE c.contype = 'f'
		 )
		 SELECT DISTINCT n.nspname || '.' || cl.relname AS tbl FROM deps d JOIN pg_class cl ON cl.oid = d.relid
		   JOIN pg_namespace n ON n.oid = cl.relnamespace
		  WHERE d.relid NOT IN (SELECT relid FROM roots WHERE relid IS NOT NULL) ORDER BY 1`,
		[tables],
	);
	const out: {table: string; rows: number}[] = [];
	for (const r of rows) {
		const [schema, name] = r.tbl.split('.');
		const ident = `"${schema!.replaceAll('"', '""')}"."${name!.replaceAll('"', '""')}"`;
		const [count] = await staging.query<{n: string}>(`SELECT count(*)::text AS n FROM ${ident}`);
		out.push({table: schema === 'public' ? name! : r.tbl, rows: Number(count?.n ?? 0)});
	}
	return out;
}

function sameColumns(a: ColumnInfo[], b: ColumnInfo[]): string | undefined {
	const fmt = (c: ColumnInfo) => `${c.column} ${c.type}`;
	const left = a.map(fmt);
	const right = b.map(fmt);
	const missing = left.filter(x => !right.includes(x));
	const extra = right.filter(x => !left.includes(x));
	if (missing.length || extra.length) {
		return [missing.length ? `staging lacks ${missing.join(', ')}` : '', extra.length ? `staging has extra ${extra.join(', ')}` : ''].filter(Boolean).join('; ');
	}
	if (left.join(',') !== right.join(',')) return 'the columns are in a different order';
	return undefined;
}

export const PREFLIGHT_CHECKS: PreflightCheck[] = [
	{
		id: 'script', title: 'Sync script exists and is executable',
		async run({script, profile}) {
			if (!script.exists) return {status: 'fail', detail: `${profile.sync.script} does not exist (install the safe script: jutsu-ops sync install-safe-script)`};
			if (!script.executable) return {status: 'fail', detail: `${profile.sync.script} is not executable (chmod 755)`};
			return {status: 'ok', detail: `${profile.sync.script}${script.isSafe ? ' (the jutsu-ops safe script)' : ''}`};
		},
	},
	{
		id: 'commands', title: 'Commands the script calls exist on the host',
		async run({script}) {
			if (!script.exists) return {status: 'skip', detail: 'no script'};
			const has = (n: string) => script.commands.find(c => c.name === n)?.found ?? false;
			if (script.isSafe) {
				// the safe script uses the client tools when present, else docker exec into the PostgreSQL container
				const missing = [...(has('psql') || has('docker') ? [] : ['psql or docker']), ...(has('flock') ? [] : ['flock'])];
				return missing.length ? {status: 'fail', detail: `missing on the host: ${missing.join(', ')}`} : {status: 'ok', detail: has('psql') ? 'psql (client tools)' : 'docker exec into the PostgreSQL container'};
			}
			const missing = script.commands.filter(c => !c.found).map(c => c.name);
			if (missing.length) return {status: 'fail', detail: `${missing.join(', ')} not found on the host's PATH; the script would fail at "${missing[0]}"`};
			return {status: 'ok', detail: script.commands.map(c => c.name).join(', ') || 'no external commands recognised'};
		},
	},
	{
		id: 'lock', title: 'No other sync is running',
		async run({lock}) {
			if (lock.held) return {status: 'fail', detail: `the lock is held by ${describeHolder(lock.holder)}`};
			if (lock.unlockedPids.length) return {status: 'fail', detail: `the script is running without the lock (pid ${lock.unlockedPids.join(', ')})`};
			return {status: 'ok', detail: 'the lock is free'};
		},
	},
	{
		id: 'not-production', title: 'The target is not the production database',
		async run({profile, script}) {
			const prod = profile.environments.production.database;
			const staging = profile.environments.staging.database;
			if (staging === prod) return {status: 'fail', detail: `the profile's staging database is ${prod}, the production database`};
			if (script.stagingDb === prod) return {status: 'fail', detail: `the script's STAGING_DB is ${prod}, the production database`};
			if (script.stagingDb && script.stagingDb !== staging) return {status: 'warn', detail: `the script writes ${script.stagingDb}, the profile says ${staging}`};
			return {status: 'ok', detail: `writes ${script.stagingDb ?? staging}, reads ${script.prodDb ?? prod}`};
		},
	},
	{
		id: 'staging-db', title: 'The staging database exists',
		async run({db, profile}) {
			try {
				await db();
				return {status: 'ok', detail: `${profile.environments.staging.database} answers`};
			} catch (error) {
				return {status: 'fail', detail: isOpsError(error) ? error.message : String(error)};
			}
		},
	},
	{
		id: 'tables', title: 'Each synced table exists in both databases with the same columns',
		async run({db, profile}) {
			let pair: DbPair;
			try {
				pair = await db();
			} catch {
				return {status: 'skip', detail: 'no database session'};
			}
			const [prodCols, stagingCols] = await Promise.all([listColumns(pair.production), listColumns(pair.staging)]);
			const problems: string[] = [];
			for (const table of profile.sync.tables) {
				const p = prodCols.filter(c => c.table === table);
				const s = stagingCols.filter(c => c.table === table);
				if (!p.length) problems.push(`${table} is missing in production`);
				else if (!s.length) problems.push(`${table} is missing in staging`);
				else {
					const diff = sameColumns(p, s);
					if (diff) problems.push(`${table}: ${diff}`);
				}
			}
			return problems.length ? {status: 'fail', detail: problems.join('; ')} : {status: 'ok', detail: profile.sync.tables.join(', ')};
		},
	},
	{
		id: 'cascade', title: 'No staging table is emptied by TRUNCATE ... CASCADE',
		async run({db, profile, script}) {
			let pair: DbPair;
			try {
				pair = await db();
			} catch {
				return {status: 'skip', detail: 'no database session'};
			}
			const deps = await cascadeDependents(pair.staging, profile.sync.tables);
			if (!deps.length) return {status: 'ok', detail: 'no other table references the synced tables'};
			const list = deps.map(d => `${d.table} (${d.rows} rows)`).join(', ');
			if (script.usesCascade) return {status: 'warn', detail: `the script's TRUNCATE ... CASCADE would also empty ${list}`, tables: deps};
			return {status: 'ok', detail: `${list} reference${deps.length === 1 ? 's' : ''} the synced tables; the script does not cascade`, tables: deps};
		},
	},
	{
		id: 'schedule', title: 'Scheduled at 2 AM in the sync time zone',
		async run({transport, profile, signal}) {
			const info = await readSchedule(transport, profile, signal);
			if (info.source === 'none') return {status: 'warn', detail: 'no schedule found (install one: jutsu-ops sync install-safe-script --schedule)'};
			const check = scheduleMeansTwoAm(info, profile);
			const next = info.nextRun ? `; next ${formatInZone(info.nextRun, profile.sync.timezone)}` : '';
			const where = `${info.source} "${info.expression}" (cron zone ${info.cronTimeZone})${next}`;
			if (!info.survivesReboot) return {status: 'warn', detail: `${where}: lost at reboot on Unraid (use User Scripts)`};
			if (!check.ok) return {status: 'warn', detail: `${where}: not 2 AM ${profile.sync.timezone}${check.example ? ` (runs at ${check.example})` : ''}`};
			return {status: 'ok', detail: where};
		},
	},
];

export interface PreflightReport {
	ok: boolean;
	results: CheckResult[];
	script: ScriptFacts;
}

/** Run every check (a check that throws is a failure, never an unhandled error); the DB sessions are closed. */
export async function runPreflight(transport: Transport, profile: Profile, signal?: AbortSignal, onResult?: (r: CheckResult) => void): Promise<PreflightReport> {
	const [script, lock] = await Promise.all([readScriptFacts(transport, profile, signal), readLockState(transport, profile, signal)]);
	let pair: Promise<DbPair> | undefined;
	const ctx: PreflightContext = {transport, profile, script, lock, ...(signal ? {signal} : {}), db: () => (pair ??= openPair(transport, profile, signal))};
	const results: CheckResult[] = [];
	try {
		for (const check of PREFLIGHT_CHECKS) {
			let result: CheckResult;
			try {
				result = {id: check.id, title: check.title, ...(await check.run(ctx))};
			} catch (error) {
				result = {id: check.id, title: check.title, status: 'fail', detail: scrubber.scrub(isOpsError(error) ? error.message : error instanceof Error ? error.message : String(error))};
			}
			results.push(result);
			onResult?.(result);
		}
	} finally {
		if (pair) await pair.then(p => p.close(), () => undefined);
	}
	return {ok: results.every(r => r.status !== 'fail'), results, script};
}
