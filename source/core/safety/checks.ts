/**
 * The seed's pre- and post-deployment checklist (staging-architecture.md, Task 5.1) as data. Every expectation
 * comes from the profile; every detail names variables and hashes' equality, never a secret value.
 */
import {jsonBody} from '../app/probe.js';
import type {EnvironmentName, Profile} from '../config/schema.js';
import type {ColumnInfo} from '../db/pg.js';
import type {Container} from '../docker/containers.js';
import {parseImageRef} from '../docker/image-ref.js';
import {describeError, isOpsError} from '../errors.js';
import {isSecretName, scrubber} from '../secrets.js';
import {nextRuns} from '../sync/cron.js';
import {runsAtTargetTime, type ScheduleInfo} from '../sync/schedule.js';
import {lastSuccessfulRun, parseSyncLog} from '../sync/log.js';
import {formatInZone} from '../time.js';
import type {CheckResult, SafetyCheck, SafetyContext} from './types.js';
import {parseYaml, tagOf, tagsBuiltFor, triggersOnPush} from './workflow.js';

const pass = (detail: string): CheckResult => ({status: 'pass', detail});
const warn = (detail: string, remedy?: string): CheckResult => ({status: 'warn', detail, ...(remedy ? {remedy} : {})});
const fail = (detail: string, remedy?: string): CheckResult => ({status: 'fail', detail, ...(remedy ? {remedy} : {})});
const skip = (detail: string): CheckResult => ({status: 'skip', detail});

/** An input that could not be read becomes a failure of the checks that need it, in words. */
export function errorResult(error: unknown, what: string): CheckResult {
	const lines = describeError(error).map(l => scrubber.scrub(l));
	return fail(`${what}: ${lines[0] ?? 'unknown error'}`, lines[1] ?? 'Fix the cause above and re-run the checks.');
}

/** A flag the way the app reads it: `os.getenv(NAME, default).lower() == "true"`. */
export function flagValue(value: string | undefined): boolean {
	return (value ?? '').toLowerCase() === 'true';
}

const isFlag = (expected: string) => /^(true|false)$/iu.test(expected);

export function envValue(container: Container, name: string): {value: string | undefined; secret: boolean; set: boolean; hash?: string} {
	const v = container.env.find(e => e.name === name);
	if (!v) return {value: undefined, secret: isSecretName(name), set: false};
	return {value: v.secret ? undefined : v.value, secret: v.secret, set: v.set, ...(v.hash === undefined ? {} : {hash: v.hash})};
}

/** Does the container's env give `name` the expected value (flags compared the way the app reads them)? */
export function envMatches(container: Container, name: string, expected: string): {ok: boolean; shown: string} {
	const v = envValue(container, name);
	if (v.secret) return {ok: v.set, shown: v.set ? 'set (value hidden)' : 'not set'};
	if (v.value === undefined) return {ok: false, shown: 'not set'};
	const ok = isFlag(expected) ? flagValue(v.value) === flagValue(expected) : v.value === expected;
	return {ok, shown: v.value};
}

const hostPorts = (c: Container) => [...new Set(c.ports.map(p => Number(p.hostPort)).filter(n => Number.isInteger(n) && n > 0))].sort((a, b) => a - b);

function ago(ms: number): string {
	const minutes = Math.round(ms / 60_000);
	if (minutes < 90) return `${minutes} min`;
	const hours = ms / 3_600_000;
	return hours < 48 ? `${hours.toFixed(1)} h` : `${Math.round(hours / 24)} days`;
}

async function needContainer(ctx: SafetyContext, env: EnvironmentName): Promise<Container | CheckResult> {
	try {
		const c = await ctx.container(env);
		if (!c) return fail(`The ${env} container "${ctx.profile.environments[env].container}" does not exist.`, `Create it (see the seed's Task 3.1), or fix environments.${env}.container in the profile.`);
		return c;
	} catch (error) {
		return errorResult(error, 'Could not list containers');
	}
}
async function needSchedule(ctx: SafetyContext): Promise<ScheduleInfo | CheckResult> {
	try {
		return await ctx.schedule();
	} catch (error) {
		return errorResult(error, 'Could not read the schedule');
	}
}
const isResult = (v: unknown): v is CheckResult => typeof v === 'object' && v !== null && 'status' in v && 'detail' in v;

// ---------------------------------------------------------------- git and CI

function gitChecks(profile: Profile): SafetyCheck[] {
	const {production, staging} = profile.environments;
	return [
		{
			id: 'git.staging-branch', group: 'git', title: `Branch ${staging.branch} exists on the remote`,
			async run(ctx) {
				try {
					const sha = await ctx.remoteBranch(staging.branch);
					if (!sha) return fail(`The remote "${profile.repo.remote}" has no branch ${staging.branch}.`, `Create it from ${production.branch} and push it: git checkout -b ${staging.branch} ${profile.repo.remote}/${production.branch} && git push -u ${profile.repo.remote} ${staging.branch}`);
					return pass(`${profile.repo.remote}/${staging.branch} is at ${sha.slice(0, 12)}.`);
				} catch (error) {
					return errorResult(error, 'Could not read the remote');
				}
			},
		},
		{
			id: 'git.workflow', group: 'git', title: `CI builds :${staging.tag} from ${staging.branch} and :${production.tag} from ${production.branch}`,
			async run(ctx) {
				// A push to a branch runs that branch's own workflows: staging's are read from the remote's staging
				// branch and production's from its production branch, never from the working tree.
				const byBranch = new Map<string, {file: string; text: string}[]>();
				try {
					for (const env of [staging, production]) byBranch.set(env.branch, await ctx.workflows(env.branch));
				} catch (error) {
					return errorResult(error, 'Could not read .github/workflows from the remote');
				}
				if ([...byBranch.values()].every(f => f.length === 0)) return fail(`Neither ${profile.repo.remote}/${staging.branch} nor ${profile.repo.remote}/${production.branch} has .github/workflows/*.yml.`, 'Add the seed\'s docker-publish.yml (Task 1.2).');
				const found: string[] = [];
				const problems: string[] = [];
				let undetermined = false;
				for (const env of [staging, production]) {
					let ok = false;
					let seen = false;
					for (const {file, text} of byBranch.get(env.branch) ?? []) {
						let workflow;
						try {
							workflow = parseYaml(text);
						} catch {
							continue;
						}
						if (!triggersOnPush(workflow, env.branch)) continue;
						seen = true;
						const tags = tagsBuiltFor(workflow, env.branch);
						if (tags === undefined) {
							undetermined = true;
							continue;
						}
						const image = parseImageRef(env.image).path;
						const mine = tags.filter(t => tagOf(t) === env.tag && (t.includes(image) || t.includes('<')));
						if (mine.length > 0) {
							ok = true;
							found.push(`${env.branch} → :${env.tag} (${file} on ${profile.repo.remote}/${env.branch})`);
							break;
						}
						if (tags.length > 0) problems.push(`a push to ${env.branch} builds ${tags.map(t => `:${tagOf(t)}`).join(', ')} in ${file} on ${profile.repo.remote}/${env.branch}, not :${env.tag}`);
					}
					if (!ok && !seen) problems.push(`no workflow on ${profile.repo.remote}/${env.branch} runs on a push to ${env.branch}`);
				}
				if (problems.length > 0) return fail(`${problems.join('; ')}.`, `Make the workflow build :${staging.tag} on pushes to ${staging.branch} and :${production.tag} on ${production.branch} (seed Task 1.2).`);
				if (found.length < 2 || undetermined) {
					if (found.length === 2) return pass(found.join('; '));
					return warn(`Could not tell which tags the workflows build${found.length ? ` (found: ${found.join('; ')})` : ''}.`, 'Read .github/workflows by hand: pushes to the staging branch must build the staging tag, and main the latest tag.');
				}
				return pass(found.join('; '));
			},
		},
	];
}

// ---------------------------------------------------------------- staging container

const TOKEN_PATH = /tokens?\b|token/iu;

function stagingContainerChecks(profile: Profile): SafetyCheck[] {
	const {production, staging} = profile.environments;
	const recentMs = 10 * 60_000;
	const checks: SafetyCheck[] = [
		{
			id: 'staging.running', group: 'staging-container', title: `Container ${staging.container} exists and is running`,
			async run(ctx) {
				const c = await needContainer(ctx, 'staging');
				if (isResult(c)) return c;
				if (c.state !== 'running') return fail(`${c.name} is ${c.state}.`, `Start it: docker start ${c.name} (then look at docker logs ${c.name}).`);
				return pass(`${c.name} is running (restart policy ${c.restartPolicy}).`);
			},
		},
		{
			id: 'staging.restarts', group: 'staging-container', title: 'Restart count is not climbing',
			async run(ctx) {
				const c = await needContainer(ctx, 'staging');
				if (isResult(c)) return c;
				if (c.state === 'restarting') return fail(`${c.name} is restarting right now (restart count ${c.restartCount}).`, `It crashes on start: read docker logs ${c.name}.`);
				if (c.state !== 'running') return skip(`${c.name} is ${c.state}, not running: nothing to sample.`);
				const waitMs = ctx.options.restartSampleMs ?? 4000;
				const second = await ctx.restartSample(c.name).catch(() => undefined);
				const seconds = Math.round(waitMs / 1000);
				if (!second) return warn(`Could not take a second sample of ${c.name}.`, 'Re-run the checks.');
				if (second.restartCount > c.restartCount || second.state === 'restarting') {
					return fail(`Restart count climbed from ${c.restartCount} to ${second.restartCount} within ${seconds} s (state ${second.state}).`, `It crashes and Docker restarts it: read docker logs ${c.name}.`);
				}
				const up = c.startedAt ? ctx.now() - Date.parse(c.startedAt) : undefined;
				if (c.restartCount > 0 && up !== undefined && up < recentMs) {
					return warn(`Restarted ${c.restartCount} times, last start ${ago(up)} ago; unchanged over a ${seconds} s sample.`, `Watch it for a few minutes; read docker logs ${c.name} if the count rises.`);
				}
				return pass(`Restart count ${c.restartCount}, unchanged over a ${seconds} s sample${up === undefined ? '' : `; up ${ago(up)}`}. (A count above 0 passes once it has stayed up 10 min.)`);
			},
		},
		{
			id: 'staging.health', group: 'staging-container', title: 'Healthy (where a healthcheck exists)',
			async run(ctx) {
				const c = await needContainer(ctx, 'staging');
				if (isResult(c)) return c;
				if (c.health === 'none') return skip(`${c.name}'s image defines no healthcheck; the app checks below probe it instead.`);
				if (c.health === 'healthy') return pass(`${c.name} is healthy.`);
				if (c.health === 'starting') return warn(`${c.name}'s healthcheck is still starting.`, 'Re-run the checks in a minute.');
				return fail(`${c.name} is unhealthy.`, `docker inspect --format '{{json .State.Health}}' ${c.name} shows the failing probe.`);
			},
		},
		{
			id: 'staging.image', group: 'staging-container', title: `Runs the :${staging.tag} image`,
			async run(ctx) {
				const c = await needContainer(ctx, 'staging');
				if (isResult(c)) return c;
				const want = parseImageRef(`${staging.image}:${staging.tag}`);
				const have = parseImageRef(c.image);
				const tag = have.tag ?? (have.digest ? undefined : 'latest');
				if (have.path !== want.path) return fail(`${c.name} runs ${c.image}, not the repository ${staging.image}.`, `Recreate it from ${staging.image}:${staging.tag}.`);
				if (tag !== staging.tag) {
					const prodNote = tag === production.tag ? ` — that is production's tag` : '';
					return fail(`${c.name} runs ${c.image} (tag ${tag ?? 'pinned by digest'}${prodNote}), not :${staging.tag}.`, `Recreate it from ${staging.image}:${staging.tag}.`);
				}
				return pass(`${c.image}${c.revision ? ` (revision ${c.revision.slice(0, 12)})` : ''}.`);
			},
		},
		{
			id: 'staging.ports', group: 'staging-container', title: `Host ports ${staging.apiPort}/${staging.uiPort}, none of production's`,
			async run(ctx) {
				const c = await needContainer(ctx, 'staging');
				if (isResult(c)) return c;
				const ports = hostPorts(c);
				const prod = await ctx.container('production').catch(() => undefined);
				const prodPorts = new Set([production.apiPort, production.uiPort, ...(prod ? hostPorts(prod) : [])]);
				const problems: string[] = [];
				if (staging.apiPort === production.apiPort || staging.uiPort === production.uiPort) problems.push(`the profile gives staging production's port (${staging.apiPort}/${staging.uiPort} vs ${production.apiPort}/${production.uiPort})`);
				const collide = ports.filter(p => prodPorts.has(p));
				if (collide.length > 0) problems.push(`${c.name} publishes production's port ${collide.join(', ')}`);
				const missing = [staging.apiPort, staging.uiPort].filter(p => !ports.includes(p));
				if (missing.length > 0) problems.push(`${c.name} does not publish ${missing.join(', ')}`);
				if (problems.length > 0) return fail(`${problems.join('; ')} (it publishes ${ports.join(', ') || 'nothing'}).`, `Publish only ${staging.apiPort}→API and ${staging.uiPort}→dashboard on staging; production keeps ${production.apiPort}/${production.uiPort}.`);
				return pass(`Publishes ${ports.join(', ')}; production has ${[...prodPorts].sort((a, b) => a - b).join(', ')}.`);
			},
		},
	];
	for (const [name, expected] of Object.entries(staging.expect)) {
		checks.push({
			id: `staging.env.${name}`, group: 'staging-container', title: `${name}=${expected}`,
			async run(ctx) {
				const c = await needContainer(ctx, 'staging');
				if (isResult(c)) return c;
				const m = envMatches(c, name, expected);
				if (!m.ok) return fail(`${c.name} has ${name}=${m.shown}; staging must have ${expected}.`, `Set ${name}=${expected} in the staging template and recreate the container.`);
				return pass(`${name}=${m.shown}.`);
			},
		});
	}
	checks.push(
		{
			id: 'staging.database', group: 'staging-container', title: `POSTGRES_DATABASE is ${staging.database}, not production's`,
			async run(ctx) {
				const c = await needContainer(ctx, 'staging');
				if (isResult(c)) return c;
				const v = envValue(c, 'POSTGRES_DATABASE').value;
				if (v === production.database) return fail(`${c.name} points at production's database ${production.database}.`, `Set POSTGRES_DATABASE=${staging.database} and recreate staging now; it can write production data.`);
				if (v !== staging.database) return fail(`${c.name} has POSTGRES_DATABASE=${v ?? '(not set)'}; expected ${staging.database}.`, `Set POSTGRES_DATABASE=${staging.database} and recreate the container.`);
				return pass(`POSTGRES_DATABASE=${v}.`);
			},
		},
		{
			id: 'staging.secret-key', group: 'staging-container', title: 'SECRET_KEY is set and differs from production\'s',
			async run(ctx) {
				const c = await needContainer(ctx, 'staging');
				if (isResult(c)) return c;
				const mine = envValue(c, 'SECRET_KEY');
				if (!mine.set) return fail(`${c.name} has no SECRET_KEY (or an empty one).`, 'Generate one (openssl rand -hex 32), set it in the staging template and recreate the container.');
				const prod = await ctx.container('production').catch(() => undefined);
				if (!prod) return warn('SECRET_KEY is set; production\'s container was not found, so they could not be compared.');
				const theirs = envValue(prod, 'SECRET_KEY');
				if (theirs.set && theirs.hash === mine.hash) return fail('Staging\'s SECRET_KEY equals production\'s (compared by hash): tokens from one work on the other.', 'Generate a new one for staging (openssl rand -hex 32) and recreate the container.');
				return pass('SECRET_KEY is set and differs from production\'s (compared by hash; values never read out).');
			},
		},
		{
			id: 'staging.no-schwab-credentials', group: 'staging-container', title: 'No Schwab token volume or SCHWAB_* credential',
			async run(ctx) {
				const c = await needContainer(ctx, 'staging');
				if (isResult(c)) return c;
				const mounts = c.mounts.filter(m => TOKEN_PATH.test(m.source) || TOKEN_PATH.test(m.destination));
				const vars = c.env.filter(e => /^SCHWAB_/iu.test(e.name) && !(e.name.toUpperCase() in staging.expect) && e.set).map(e => e.name);
				const problems = [
					...mounts.map(m => `mount ${m.source} → ${m.destination}`),
					...vars.map(v => `${v} is set`),
				];
				if (problems.length > 0) return fail(`${c.name} has ${problems.join('; ')}.`, 'Remove the token volume and SCHWAB_* credentials from the staging template and recreate it (seed: "No Schwab token volume").');
				return pass(`No token mount among ${c.mounts.length} mounts; no SCHWAB_* credential set.`);
			},
		},
	);
	return checks;
}

// ---------------------------------------------------------------- the running app

function appChecks(profile: Profile): SafetyCheck[] {
	const {staging} = profile.environments;
	const {app} = profile;
	return [
		{
			id: 'app.health', group: 'app', title: `Health endpoint answers on ${staging.apiPort}`,
			async run(ctx) {
				try {
					const r = await ctx.http(staging.apiPort, app.healthPath);
					if (r.status === undefined) return fail(`Nothing answered on 127.0.0.1:${staging.apiPort}${app.healthPath} (${r.error ?? 'no answer'}).`, 'Check that the staging container runs and publishes the API port.');
					if (r.status >= 200 && r.status < 300) return pass(`GET ${app.healthPath} → ${r.status} in ${r.durationMs} ms.`);
					return fail(`GET ${app.healthPath} → ${r.status}.`, `Read docker logs ${staging.container}.`);
				} catch (error) {
					return errorResult(error, 'Could not probe the API');
				}
			},
		},
		{
			id: 'app.environment', group: 'app', title: 'The app reports staging with the container\'s flags',
			async run(ctx) {
				let body: Record<string, unknown> | undefined;
				try {
					const r = await ctx.http(staging.apiPort, app.environmentPath);
					if (r.status === undefined) return fail(`Nothing answered on 127.0.0.1:${staging.apiPort}${app.environmentPath} (${r.error ?? 'no answer'}).`, 'Check that the staging container runs.');
					if (r.status < 200 || r.status >= 300) return fail(`GET ${app.environmentPath} → ${r.status}.`, 'The app may predate the ENVIRONMENT endpoint (seed Task 4.3): deploy it to staging.');
					body = jsonBody<Record<string, unknown>>(r);
				} catch (error) {
					return errorResult(error, 'Could not probe the API');
				}
				if (!body || typeof body !== 'object') return fail(`${app.environmentPath} did not answer with JSON.`, 'Check the app\'s /status/environment route.');
				const c = await needContainer(ctx, 'staging');
				if (isResult(c)) return c;
				const disagree: string[] = [];
				const shown: string[] = [];
				for (const name of Object.keys(staging.expect)) {
					const field = name.toLowerCase();
					if (!(field in body) || isSecretName(name)) continue;
					const reported = body[field];
					const env = envValue(c, name).value;
					const appValue = typeof reported === 'boolean' ? reported : String(reported);
					shown.push(`${field}=${String(reported)}`);
					if (env === undefined) continue;
					const same = typeof appValue === 'boolean' ? appValue === flagValue(env) : appValue === env;
					if (!same) disagree.push(`the app reports ${field}=${String(reported)} but the container's ${name}=${env}`);
				}
				const expectedEnv = staging.expect.ENVIRONMENT;
				if (expectedEnv && 'environment' in body && body.environment !== expectedEnv && !disagree.some(d => d.includes('environment='))) {
					disagree.push(`the app reports environment=${String(body.environment)}, not ${expectedEnv}`);
				}
				if (shown.length === 0) return warn(`${app.environmentPath} reports none of ${Object.keys(staging.expect).join(', ')}.`, 'Deploy an app version with the seed\'s /status/environment route (Task 4.3).');
				if (disagree.length > 0) return fail(`${disagree.join('; ')}.`, 'The process runs with an env other than the container\'s config (entrypoint override, env file, stale process): recreate the container and check its entrypoint.');
				return pass(`${shown.join(', ')} — agrees with the container's env.`);
			},
		},
		{
			id: 'app.dashboard', group: 'app', title: `Dashboard answers on ${staging.uiPort}`,
			async run(ctx) {
				try {
					const r = await ctx.http(staging.uiPort, '/');
					if (r.status === undefined) return fail(`Nothing answered on 127.0.0.1:${staging.uiPort} (${r.error ?? 'no answer'}).`, 'Check that the staging container runs and publishes the dashboard port.');
					if (r.status >= 200 && r.status < 400) return pass(`GET / → ${r.status} in ${r.durationMs} ms.`);
					return fail(`GET / on ${staging.uiPort} → ${r.status}.`, `Read docker logs ${staging.container}.`);
				} catch (error) {
					return errorResult(error, 'Could not probe the dashboard');
				}
			},
		},
		{
			id: 'app.trading-refused', group: 'app', title: 'Starting live trading is refused (opt-in)', optIn: 'probe-trading',
			async run(ctx) {
				try {
					const r = await ctx.http(staging.apiPort, app.tradingStartPath, 'POST');
					if (r.status === undefined) return fail(`Nothing answered POST ${app.tradingStartPath} on ${staging.apiPort} (${r.error ?? 'no answer'}).`, 'Check that the staging API runs, then re-run with --probe-trading.');
					if (r.status >= 400 && r.status < 500) return pass(`POST ${app.tradingStartPath} → ${r.status} (refused).`);
					if (r.status >= 200 && r.status < 300) return fail(`POST ${app.tradingStartPath} → ${r.status}: staging ACCEPTED a live-trading start.`, `Stop ${staging.container} now (docker stop ${staging.container}), then set PAPER_TRADING_ONLY=true and SCHWAB_ENABLED=false.`);
					return warn(`POST ${app.tradingStartPath} → ${r.status}: neither accepted nor refused.`, 'Read the staging logs: the start route errored instead of refusing.');
				} catch (error) {
					return errorResult(error, 'Could not probe the trading route');
				}
			},
		},
	];
}

// ---------------------------------------------------------------- database

export interface SchemaDiff {
	missingTables: string[];
	missingColumns: string[];
	typeChanges: string[];
	extraTables: string[];
	extraColumns: string[];
}

export function diffSchemas(production: readonly ColumnInfo[], staging: readonly ColumnInfo[]): SchemaDiff {
	const byTable = (cols: readonly ColumnInfo[]) => {
		const map = new Map<string, Map<string, ColumnInfo>>();
		for (const c of cols) {
			if (!map.has(c.table)) map.set(c.table, new Map());
			map.get(c.table)!.set(c.column, c);
		}
		return map;
	};
	const prod = byTable(production);
	const stag = byTable(staging);
	const diff: SchemaDiff = {missingTables: [], missingColumns: [], typeChanges: [], extraTables: [], extraColumns: []};
	for (const [table, cols] of prod) {
		const other = stag.get(table);
		if (!other) {
			diff.missingTables.push(table);
			continue;
		}
		for (const [name, col] of cols) {
			const theirs = other.get(name);
			if (!theirs) diff.missingColumns.push(`${table}.${name}`);
			else if (theirs.type !== col.type) diff.typeChanges.push(`${table}.${name} ${col.type}→${theirs.type}`);
		}
		for (const name of other.keys()) if (!cols.has(name)) diff.extraColumns.push(`${table}.${name}`);
	}
	for (const table of stag.keys()) if (!prod.has(table)) diff.extraTables.push(table);
	return diff;
}

function databaseChecks(profile: Profile): SafetyCheck[] {
	const {production, staging} = profile.environments;
	return [
		{
			id: 'db.staging-exists', group: 'database', title: `Database ${staging.database} exists`,
			async run(ctx) {
				try {
					const cols = await ctx.columns('staging');
					const tables = new Set(cols.map(c => c.table));
					if (tables.size === 0) return warn(`${staging.database} exists but has no tables.`, 'Apply production\'s schema (seed Task 2.2).');
					return pass(`${staging.database} exists with ${tables.size} tables.`);
				} catch (error) {
					if (isOpsError(error) && /does not exist/u.test(error.message)) return fail(`${staging.database} does not exist on ${profile.postgres.host}:${profile.postgres.port}.`, `Create it (seed Task 2.1: CREATE DATABASE ${staging.database} ...).`);
					return errorResult(error, `Could not open ${staging.database}`);
				}
			},
		},
		{
			id: 'db.schema', group: 'database', title: 'Staging tables and columns match production\'s',
			async run(ctx) {
				let prod: ColumnInfo[];
				let stag: ColumnInfo[];
				try {
					[prod, stag] = await Promise.all([ctx.columns('production'), ctx.columns('staging')]);
				} catch (error) {
					if (isOpsError(error) && /does not exist/u.test(error.message)) return skip(`${error.message.split(' on ')[0]}: nothing to compare (see the check above).`);
					return errorResult(error, 'Could not read the schemas');
				}
				const d = diffSchemas(prod, stag);
				const problems = [
					...(d.missingTables.length ? [`missing tables: ${d.missingTables.join(', ')}`] : []),
					...(d.missingColumns.length ? [`missing columns: ${d.missingColumns.join(', ')}`] : []),
					...(d.typeChanges.length ? [`different types: ${d.typeChanges.join(', ')}`] : []),
				];
				const extras = [
					...(d.extraTables.length ? [`staging-only tables: ${d.extraTables.join(', ')}`] : []),
					...(d.extraColumns.length ? [`staging-only columns: ${d.extraColumns.join(', ')}`] : []),
				];
				if (problems.length > 0) return fail(`${staging.database} differs from ${production.database}: ${problems.join('; ')}.`, `Apply production's migrations to ${staging.database} (seed: "Database Schema Migrations").`);
				const tables = new Set(prod.map(c => c.table)).size;
				return pass(`All ${tables} production tables and ${prod.length} columns exist in staging with the same types${extras.length ? ` (${extras.join('; ')})` : ''}.`);
			},
		},
		{
			id: 'db.sync-recent', group: 'database', title: `Last successful sync under ${profile.sync.maxAgeHours} h ago`,
			async run(ctx) {
				let text: string | undefined;
				try {
					text = await ctx.syncLog();
				} catch (error) {
					return errorResult(error, 'Could not read the sync log');
				}
				if (text === undefined) return fail(`The sync log ${profile.sync.log} does not exist: the sync never ran here.`, `Install and run the sync script (${profile.sync.script}).`);
				const runs = parseSyncLog(text, profile.sync.timezone);
				const last = lastSuccessfulRun(runs);
				if (!last) return fail(`No successful sync in ${profile.sync.log} (${runs.length} runs logged).`, 'Run the sync by hand and read its log.');
				const at = last.endedAt ?? last.startedAt;
				const age = ctx.now() - at;
				const when = formatInZone(at, profile.sync.timezone);
				const latest = runs.at(-1);
				if (age > profile.sync.maxAgeHours * 3_600_000) return fail(`Last successful sync ${when}, ${ago(age)} ago (limit ${profile.sync.maxAgeHours} h).`, 'Check the schedule and the latest run\'s errors in the sync log; run the sync by hand.');
				if (latest && latest !== last && latest.status === 'failed') return warn(`Last success ${when} (${ago(age)} ago), but the latest run failed: ${latest.error ?? 'no reason logged'}.`, 'Read the sync log.');
				return pass(`Last successful sync ${when}, ${ago(age)} ago (${last.tables.map(t => `${t.table} ${t.rows ?? '?'} rows`).join(', ')}).`);
			},
		},
	];
}

// ---------------------------------------------------------------- schedule

function describeSchedule(s: ScheduleInfo): string {
	return `"${s.expression ?? ''}" in ${s.path ?? s.source} (cron's zone ${s.cronTimeZone})`;
}

/** The hour and minute at which a daily expression fires, when it is that simple. */
function simpleDaily(expression: string): {hour: number; minute: number} | undefined {
	const m = /^\s*(\d{1,2})\s+(\d{1,2})\s+\*\s+\*\s+\*\s*$/u.exec(expression);
	return m ? {minute: Number(m[1]), hour: Number(m[2])} : undefined;
}

/** Does the host's schedule fire when the profile's does (in the profile's zone), whatever zone cron uses? */
export function scheduleMatches(info: ScheduleInfo, profile: Profile, now: number): {ok: boolean; note: string} {
	if (!info.expression) return {ok: false, note: 'no expression'};
	const want = simpleDaily(profile.sync.schedule);
	if (want) {
		const r = runsAtTargetTime(info.expression, info.cronTimeZone, profile.sync.timezone, now, want.hour, want.minute);
		const note = r.ok ? (r.dstShifted ? `${r.dstShifted} run(s) a year an hour off on DST-change nights` : '') : r.example ? `runs at ${r.example} ${profile.sync.timezone}${r.dstCaveat ? ' on part of the year (drifts with DST)' : ''}` : 'not a valid cron expression';
		return {ok: r.ok, note};
	}
	try {
		const a = nextRuns(info.expression, info.cronTimeZone, now, 14);
		const b = nextRuns(profile.sync.schedule, profile.sync.timezone, now, 14);
		const ok = a.length > 0 && a.length === b.length && a.every((t, i) => t === b[i]);
		return {ok, note: ok ? '' : 'fires at other times than the profile\'s schedule'};
	} catch {
		return {ok: false, note: 'not a valid cron expression'};
	}
}

function scheduleChecks(profile: Profile): SafetyCheck[] {
	const want = simpleDaily(profile.sync.schedule);
	const label = want ? `${String(want.hour).padStart(2, '0')}:${String(want.minute).padStart(2, '0')}` : `"${profile.sync.schedule}"`;
	return [
		{
			id: 'schedule.time', group: 'schedule', title: `Sync scheduled at ${label} ${profile.sync.timezone}`,
			async run(ctx) {
				const info = await needSchedule(ctx);
				if (isResult(info)) return info;
				if (info.source === 'none') return fail(`Nothing schedules ${profile.sync.script} (crontab, User Scripts, plugin .cron files)${info.entries.length ? '; a disabled User Script names it' : ''}.`, `Schedule it: "${profile.sync.schedule}" in ${profile.sync.timezone} (seed Task 2.4).`);
				const m = scheduleMatches(info, profile, ctx.now());
				if (!m.ok) return fail(`Scheduled as ${describeSchedule(info)}: ${m.note}, not ${label} ${profile.sync.timezone}.`, `Set the expression so that it fires at ${label} ${profile.sync.timezone} in cron's zone (${info.cronTimeZone}).`);
				const next = info.nextRun === undefined ? '' : `; next run ${formatInZone(info.nextRun, profile.sync.timezone)}`;
				const extra = info.entries.filter(e => !e.disabled).length > 1 ? ` (${info.entries.filter(e => !e.disabled).length} schedule entries name the script)` : '';
				return pass(`${describeSchedule(info)}${m.note ? `; ${m.note}` : ''}${next}${extra}.`);
			},
		},
		{
			id: 'schedule.survives-reboot', group: 'schedule', title: 'The schedule survives a reboot (Unraid)',
			async run(ctx) {
				const info = await needSchedule(ctx);
				if (isResult(info)) return info;
				if (!info.isUnraid) return skip('Not an Unraid host (no /etc/unraid-version): only Unraid keeps its root filesystem, and so the crontab, in RAM.');
				if (info.source === 'none') return fail('Nothing schedules the sync.', 'Add it in User Scripts (Settings > User Scripts) with a custom schedule.');
				if (!info.survivesReboot) return fail(`Only ${info.path ?? info.source} schedules it: Unraid's root filesystem is in RAM, so the crontab is gone after a reboot.`, 'Add it in User Scripts or a /boot/config/plugins/*.cron file.');
				return pass(`Defined in ${info.path ?? info.source} (on the flash drive).`);
			},
		},
	];
}

// ---------------------------------------------------------------- production sanity

function productionChecks(profile: Profile): SafetyCheck[] {
	const {production, staging} = profile.environments;
	return [
		{
			id: 'production.flags', group: 'production', title: 'Production\'s flags are what its profile expects',
			async run(ctx) {
				const c = await needContainer(ctx, 'production');
				if (isResult(c)) return c;
				const entries = Object.entries(production.expect);
				if (entries.length === 0) return skip('environments.production.expect is empty in the profile.');
				const wrong: string[] = [];
				const ok: string[] = [];
				for (const [name, expected] of entries) {
					const m = envMatches(c, name, expected);
					if (m.ok) ok.push(`${name}=${m.shown}`);
					else wrong.push(`${name}=${m.shown} (expected ${expected})`);
				}
				if (wrong.length > 0) return fail(`${c.name} has ${wrong.join(', ')}.`, 'Fix production\'s template (or the profile\'s expectations) and recreate it in a quiet moment.');
				return pass(ok.join(', '));
			},
		},
		{
			id: 'production.database', group: 'production', title: 'Production does not point at the staging database',
			async run(ctx) {
				const c = await needContainer(ctx, 'production');
				if (isResult(c)) return c;
				const v = envValue(c, 'POSTGRES_DATABASE').value;
				if (v === staging.database) return fail(`${c.name} points at the staging database ${staging.database}.`, `Set POSTGRES_DATABASE=${production.database} in production's template and recreate it.`);
				if (v !== production.database) return fail(`${c.name} has POSTGRES_DATABASE=${v ?? '(not set)'}; expected ${production.database}.`, `Set POSTGRES_DATABASE=${production.database}.`);
				return pass(`POSTGRES_DATABASE=${v}.`);
			},
		},
	];
}

/** Every check for a profile, in display order. */
export function safetyChecks(profile: Profile): SafetyCheck[] {
	return [
		...gitChecks(profile),
		...stagingContainerChecks(profile),
		...appChecks(profile),
		...databaseChecks(profile),
		...scheduleChecks(profile),
		...productionChecks(profile),
	];
}
