import {existsSync} from 'node:fs';
import {resolve} from 'node:path';
import {execa} from 'execa';
import {httpOnHost} from '../app/probe.js';
import type {EnvironmentName} from '../config/schema.js';
import {listColumns, openDb, resolveDbPassword} from '../db/pg.js';
import {listAllContainers, transportForContainer} from '../hosts.js';
import {OpsError} from '../errors.js';
import {gitRunner} from '../git/repo.js';
import {fetchBranch, workflowsAt} from '../git/workflows.js';
import {sh} from '../quote.js';
import {scrubber} from '../secrets.js';
import type {Session} from '../session.js';
import {readSchedule} from '../sync/schedule.js';
import {errorResult, safetyChecks} from './checks.js';
import type {CheckReport, CheckState, SafetyCheck, SafetyContext, SafetyInputs, SafetyOptions, SafetyReport, SafetySummary} from './types.js';
import {sleep} from '../time.js';

/** The real inputs: each environment's host over its one connection, PostgreSQL (main host), and the local git repo. */
export function sessionInputs(session: Session): SafetyInputs {
	const {profile, transport} = session;
	// A port of an environment is probed on that environment's host; PostgreSQL, the sync log and schedule are on the main host.
	const hostOfPort = (port: number) => {
		const environment = (['production', 'staging'] as const).find(e => [profile.environments[e].apiPort, profile.environments[e].uiPort].includes(port));
		return environment ? session.transportFor(environment) : transport;
	};
	const repoPath = resolve(profile.repo.path);
	let password: Promise<string> | undefined;
	const runner = gitRunner(repoPath);
	let fetching: Promise<unknown> = Promise.resolve();
	return {
		profile,
		now: () => Date.now(),
		listContainers: signal => listAllContainers(session, signal),
		async restartSample(name, signal) {
			const r = await transportForContainer(session, name).exec(sh`docker inspect --type container --format '{{.RestartCount}} {{.State.Status}}' ${name}`, {signal});
			const m = /^(\d+)\s+(\S+)/u.exec(r.stdout.trim());
			return r.code === 0 && m ? {restartCount: Number(m[1]), state: m[2]!} : undefined;
		},
		http: (port, path, method, signal) => httpOnHost(hostOfPort(port), port, path, {signal, method}),
		async columns(environment, signal) {
			const database = profile.environments[environment].database;
			password ??= resolveDbPassword(transport, profile, database, signal);
			// Read-only sessions for both: verifying never writes (production is read-only at the server anyway).
			const db = await openDb(transport, profile, database, {readOnly: true, signal, password: await password});
			try {
				return await listColumns(db);
			} finally {
				await db.close();
			}
		},
		async syncLog(signal) {
			const r = await transport.exec(sh`[ -f ${profile.sync.log} ] || exit 3; tail -c 1000000 ${profile.sync.log}`, {signal});
			if (r.code === 3) return undefined;
			if (r.code !== 0) throw new OpsError('remote', `Could not read ${profile.sync.log} (exit ${r.code ?? r.signal}): ${r.stderr.trim().split('\n')[0] ?? ''}`);
			return r.stdout;
		},
		schedule: signal => readSchedule(transport, profile, signal),
		async remoteBranch(branch, signal) {
			const r = await git(repoPath, ['ls-remote', '--heads', '--', profile.repo.remote, `refs/heads/${branch}`], signal);
			return r.split('\n').map(l => l.split('\t')).find(p => p[1] === `refs/heads/${branch}`)?.[0];
		},
		async workflows(branch, signal) {
			if (!existsSync(repoPath)) throw new OpsError('config', `The repo folder ${repoPath} does not exist (repo.path in the profile).`, {hint: 'Set repo.path to a local clone of the app\'s repository.'});
			// one fetch at a time: both branches' reads share the repo's lock files
			const read = fetching.then(async () => {
				const commit = await fetchBranch(runner, profile.repo.remote, branch, signal);
				return commit ? workflowsAt(runner, commit, signal) : [];
			});
			fetching = read.catch(() => undefined);
			return read;
		},
	};
}

async function git(cwd: string, args: string[], signal: AbortSignal): Promise<string> {
	if (!existsSync(cwd)) throw new OpsError('config', `The repo folder ${cwd} does not exist (repo.path in the profile).`, {hint: 'Set repo.path to a local clone of the app\'s repository.'});
	const r = await execa('git', ['-C', cwd, ...args], {reject: false, cancelSignal: signal, timeout: 30_000, env: {GIT_TERMINAL_PROMPT: '0'}, stdin: 'ignore'});
	if (r.exitCode !== 0) {
		const first = scrubber.scrub(String(r.stderr).trim().split('\n')[0] ?? '');
		if (/not a git repository/iu.test(first)) throw new OpsError('config', `${cwd} is not a git repository (repo.path in the profile).`, {hint: 'Set repo.path to a local clone of the app\'s repository.'});
		if (/does not appear to be a git repository|No such remote/iu.test(first)) throw new OpsError('config', `The remote "${args.at(-2) ?? ''}" is not configured in ${cwd}: ${first}`, {hint: 'Set repo.remote in the profile, or add the remote: git remote add origin URL.'});
		throw new OpsError('remote', `git ${args[0]} failed: ${first || `exit ${r.exitCode}`}`, {hint: 'Check the network path to the remote and your git credentials.'});
	}
	return String(r.stdout);
}

/** Memoise each input for one run: every check that needs the containers shares one `docker inspect`. */
export function createContext(inputs: SafetyInputs, options: SafetyOptions, signal: AbortSignal): SafetyContext {
	const cache = new Map<string, Promise<unknown>>();
	const once = <T>(key: string, make: () => Promise<T>): Promise<T> => {
		let p = cache.get(key) as Promise<T> | undefined;
		if (!p) {
			p = make();
			p.catch(() => undefined);
			cache.set(key, p);
		}
		return p;
	};
	const wait = (ms: number) => sleep(ms, signal);
	const ctx: SafetyContext = {
		profile: inputs.profile,
		options,
		signal,
		now: () => inputs.now(),
		containers: () => once('containers', () => inputs.listContainers(signal)),
		container: async (environment: EnvironmentName) => (await ctx.containers()).find(c => c.environment === environment),
		restartSample: name => once(`restart:${name}`, async () => {
			await wait(options.restartSampleMs ?? 4000);
			return inputs.restartSample(name, signal);
		}),
		http: (port, path, method = 'GET') => once(`http:${method}:${port}:${path}`, () => inputs.http(port, path, method, signal)),
		columns: environment => once(`columns:${environment}`, () => inputs.columns(environment, signal)),
		syncLog: () => once('synclog', () => inputs.syncLog(signal)),
		schedule: () => once('schedule', () => inputs.schedule(signal)),
		remoteBranch: branch => once(`branch:${branch}`, () => inputs.remoteBranch(branch, signal)),
		workflows: branch => once(`workflows:${branch}`, () => inputs.workflows(branch, signal)),
	};
	return ctx;
}

export function selectChecks(checks: readonly SafetyCheck[], options: SafetyOptions): SafetyCheck[] {
	return checks.filter(c => !options.groups?.length || options.groups.includes(c.group));
}

export function summarize(reports: readonly {status: string}[]): SafetySummary {
	const s: SafetySummary = {pass: 0, warn: 0, fail: 0, skip: 0};
	for (const r of reports) if (r.status in s) s[r.status as keyof SafetySummary]++;
	return s;
}

export function summaryLine(s: SafetySummary): string {
	return `${s.pass} passed, ${s.warn} warning${s.warn === 1 ? '' : 's'}, ${s.fail} failed, ${s.skip} skipped`;
}

/**
 * Run the checks in parallel over one shared context. `onUpdate` sees each check go running → result.
 * A check that throws becomes a failure with the reason; nothing here throws except on abort.
 */
export async function runSafety(
	inputs: SafetyInputs,
	options: SafetyOptions,
	onUpdate: (id: string, state: CheckState) => void,
	signal: AbortSignal,
	checks: readonly SafetyCheck[] = safetyChecks(inputs.profile),
): Promise<SafetyReport> {
	const selected = selectChecks(checks, options);
	const ctx = createContext(inputs, options, signal);
	const startedAt = inputs.now();
	const began = Date.now();
	for (const c of selected) onUpdate(c.id, {status: 'pending'});
	const reports = await Promise.all(selected.map(async (check): Promise<CheckReport> => {
		const t0 = Date.now();
		if (check.optIn === 'probe-trading' && !options.probeTrading) {
			const r = {status: 'skip' as const, detail: 'Opt-in: it sends a live-trading start to staging. Run with --probe-trading (TUI: T) to include it.', durationMs: 0};
			onUpdate(check.id, r);
			return {id: check.id, group: check.group, title: check.title, ...r};
		}
		onUpdate(check.id, {status: 'running'});
		let result;
		try {
			result = await check.run(ctx);
		} catch (error) {
			result = errorResult(error, 'The check could not run');
		}
		const detail = scrubber.scrub(result.detail);
		const r = {...result, detail, ...(result.remedy ? {remedy: scrubber.scrub(result.remedy)} : {}), durationMs: Date.now() - t0};
		onUpdate(check.id, r);
		return {id: check.id, group: check.group, title: check.title, ...r};
	}));
	if (signal.aborted) throw new OpsError('aborted', 'The safety checks were interrupted. Nothing was changed.');
	return {checks: reports, summary: summarize(reports), startedAt, durationMs: Date.now() - began};
}
