import {resolve} from 'node:path';
import {httpOnHost, jsonBody} from '../app/probe.js';
import type {EnvironmentName} from '../config/schema.js';
import {fetchManifestDigest, hostDockerCredentials} from '../docker/registry.js';
import {updateContainer} from '../docker/update.js';
import {OpsError} from '../errors.js';
import {detectGh, execaGhProbe, GitRepo, gitRunner} from '../git/repo.js';
import {runSafety, sessionInputs, summaryLine} from '../safety/runner.js';
import type {SafetyGroup} from '../safety/types.js';
import type {Session} from '../session.js';
import {tagImage, tagRevision, waitForImage} from './ci.js';
import {lockDir, PromoteLock} from './lock.js';
import {rerunPreviousImage} from './rollback.js';
import type {PromoteWorld} from './steps.js';

/** Safety groups that verify each environment after its update. */
export const VERIFY_GROUPS: Record<EnvironmentName, SafetyGroup[] | undefined> = {staging: undefined, production: ['production']};

/** `gh run list --json status,conclusion,workflowName` -> "CI: docker-publish in_progress". */
export function describeGhRun(json: string): string {
	try {
		const [run] = JSON.parse(json) as {status?: string; conclusion?: string; workflowName?: string}[];
		if (!run) return 'CI: no workflow run yet';
		return `CI: ${run.workflowName ?? 'workflow'} ${run.conclusion || run.status || 'unknown'}`;
	} catch {
		return '';
	}
}

/** One unfinished promotion per profile and host. */
export function profileKey(session: Pick<Session, 'profileName' | 'transport'>): string {
	return `${session.profileName}@${session.transport.label}`;
}

/** The real world of a promotion: the local repo (git, gh), the host (lock, update, probes), the registry. */
export function sessionWorld(session: Session, options: {restartSampleMs?: number} = {}): PromoteWorld {
	const {profile, transport} = session;
	const repoPath = resolve(profile.repo.path);
	const runner = gitRunner(repoPath, entry => session.audit.record({
		kind: 'command', host: 'local', command: entry.command, exitCode: entry.code, durationMs: entry.durationMs, outcome: entry.code === 0 ? 'ok' : 'failed',
	}));
	const repo = new GitRepo(repoPath, profile.repo.remote, runner);
	const lock = new PromoteLock(transport, lockDir());
	// Registry credentials come from the docker config of the host that pulls the environment's image.
	const registryOptions = (environment: EnvironmentName, signal?: AbortSignal) => ({
		signal,
		credentials: (host: string | undefined) => hostDockerCredentials(session.transportFor(environment), host).catch(() => undefined),
	});
	const gh = execaGhProbe(repoPath);
	return {
		profile,
		hostLabel: transport.label,
		...(session.connections.length > 1 ? {environmentHosts: {production: session.transportFor('production').label, staging: session.transportFor('staging').label}} : {}),
		repo,
		lockDir: lock.dir,
		async gh(signal) {
			const url = await runner(['remote', 'get-url', profile.repo.remote], {signal});
			return detectGh(url.code === 0 ? url.stdout.trim() : undefined, gh);
		},
		async ghMerge(branch, base, commit, signal) {
			const run = async (args: string[]) => {
				const r = await gh.run(args);
				session.audit.record({kind: 'command', host: 'local', command: ['gh', ...args].join(' '), exitCode: r.code, outcome: r.code === 0 ? 'ok' : 'failed'});
				return r;
			};
			if (signal?.aborted) throw new OpsError('aborted', 'The merge was interrupted before it began.');
			const create = await run(['pr', 'create', '--base', base, '--head', branch, '--title', `Promote ${branch} to ${base}`, '--body', `Promoted with jutsu-ops at ${commit}.`]);
			if (create.code !== 0 && !/already exists/iu.test(create.stderr)) {
				throw new OpsError('failure', `gh could not open a pull request: ${create.stderr.trim().split('\n')[0] ?? ''}`, {untouched: `${base} was not changed.`});
			}
			const merge = await run(['pr', 'merge', branch, '--merge', '--match-head-commit', commit]);
			if (merge.code !== 0) {
				throw new OpsError('failure', `gh could not merge the pull request: ${merge.stderr.trim().split('\n')[0] ?? ''}`, {untouched: `${base} was not changed.`, hint: 'Look at the pull request on GitHub (checks, reviews, branch protection).'});
			}
		},
		lock: {
			acquire: (info, signal) => lock.acquire(info, signal),
			release: (id, signal) => lock.release(id, signal),
			read: signal => lock.read(signal),
		},
		tagImage(environment, signal) {
			const env = profile.environments[environment];
			return tagImage(profile, env.image, env.tag, registryOptions(environment, signal));
		},
		async waitImage(environment, commit, opts) {
			const env = profile.environments[environment];
			// With gh logged in on a GitHub remote, show the workflow run's state beside the registry's.
			const url = await runner(['remote', 'get-url', profile.repo.remote], {signal: opts.signal});
			const useGh = (await detectGh(url.code === 0 ? url.stdout.trim() : undefined, gh)).use;
			let run = '';
			let asked = 0;
			const onProgress = (message: string) => {
				if (useGh && Date.now() - asked > 10_000) {
					asked = Date.now();
					void gh.run(['run', 'list', '--branch', env.branch, '--commit', commit, '--limit', '1', '--json', 'status,conclusion,workflowName'])
						.then(r => {
							run = r.code === 0 ? describeGhRun(r.stdout) : '';
						})
						.catch(() => undefined);
				}
				opts.onProgress(run ? `${message} · ${run}` : message);
			};
			return waitForImage({
				digest: () => fetchManifestDigest(profile, env.image, env.tag, registryOptions(environment, opts.signal)),
				revision: digest => tagRevision(profile, env.image, env.tag, digest, registryOptions(environment, opts.signal)),
			}, {image: env.image, tag: env.tag, commit}, {signal: opts.signal, timeoutMs: opts.timeoutMs, onProgress, intervalMs: Number(process.env.JUTSU_OPS_CI_POLL_MS ?? 2000)});
		},
		update: (environment, opts) => updateContainer(session, environment, opts),
		async health(environment, signal) {
			const env = profile.environments[environment];
			const probe = await httpOnHost(session.transportFor(environment), env.apiPort, profile.app.healthPath, {signal, timeoutSeconds: 5});
			return {status: probe.status, revision: jsonBody<{revision?: string}>(probe)?.revision, ...(probe.error ? {error: probe.error} : {})};
		},
		async safety(environment, signal) {
			const groups = VERIFY_GROUPS[environment];
			const report = await runSafety(sessionInputs(session), {...(groups ? {groups} : {}), ...(options.restartSampleMs === undefined ? {} : {restartSampleMs: options.restartSampleMs})}, () => undefined, signal ?? new AbortController().signal);
			const line = (c: {title: string; detail: string}) => `${c.title} — ${c.detail}`;
			return {
				failed: report.checks.filter(c => c.status === 'fail').map(line),
				warned: report.checks.filter(c => c.status === 'warn').map(line),
				summary: summaryLine(report.summary),
			};
		},
		rollback: (environment, previousImageId, opts) => rerunPreviousImage(session, environment, previousImageId, opts),
		audit(action, detail, outcome) {
			session.audit.record({kind: 'action', host: transport.label, action, detail, outcome});
		},
	};
}
