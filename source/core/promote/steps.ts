import type {EnvironmentName, Profile} from '../config/schema.js';
import type {UpdateProgress, UpdateResult} from '../docker/update.js';
import {OpsError} from '../errors.js';
import type {Commit, GhStatus, GitRepo} from '../git/repo.js';
import {shellJoin} from '../quote.js';
import type {TagImage} from './ci.js';
import type {GateReview, Journal, LockInfo, StepId} from './types.js';

/** Everything the steps touch, so tests can replace the world. Built from a Session in world.ts. */
export interface PromoteWorld {
	profile: Profile;
	/** The main host (the lock lives there). */
	hostLabel: string;
	/** Where each environment's container runs, when not on the main host. */
	environmentHosts?: Partial<Record<EnvironmentName, string>>;
	repo: GitRepo;
	lockDir: string;
	gh(signal?: AbortSignal): Promise<GhStatus>;
	/** Merge by pull request with gh (only when gh says it can). */
	ghMerge(branch: string, base: string, commit: string, signal?: AbortSignal): Promise<void>;
	lock: {
		acquire(info: LockInfo, signal?: AbortSignal): Promise<'acquired' | 'resumed'>;
		release(id: string, signal?: AbortSignal): Promise<boolean>;
		read(signal?: AbortSignal): Promise<LockInfo | undefined | 'free'>;
	};
	tagImage(environment: EnvironmentName, signal?: AbortSignal): Promise<TagImage>;
	waitImage(environment: EnvironmentName, commit: string, options: {signal?: AbortSignal; timeoutMs: number; onProgress: (message: string) => void}): Promise<TagImage>;
	update(environment: EnvironmentName, options: {signal?: AbortSignal; onProgress: (p: UpdateProgress) => void; confirm?: string; healthTimeoutMs?: number}): Promise<UpdateResult>;
	health(environment: EnvironmentName, signal?: AbortSignal): Promise<{status: number | undefined; revision: string | undefined; error?: string}>;
	/** Safety checks for an environment: the titles+details of failed and warned checks. */
	safety(environment: EnvironmentName, signal?: AbortSignal): Promise<{failed: string[]; warned: string[]; summary: string}>;
	rollback(environment: EnvironmentName, previousImageId: string, options: {signal?: AbortSignal; confirm?: string; onProgress: (message: string) => void}): Promise<void>;
	audit(action: string, detail: string, outcome: 'ok' | 'failed' | 'aborted'): void;
}

export interface PromoteRunOptions {
	ciTimeoutMs: number;
	healthTimeoutMs?: number;
	/** The production gate: resolve true only when the operator confirmed (typed the name / --yes-i-know). */
	confirmGate(review: GateReview): Promise<boolean>;
}

export interface StepContext {
	world: PromoteWorld;
	journal: Journal;
	options: PromoteRunOptions;
	signal: AbortSignal;
	/** This step was already started before (a resume): re-check its preconditions first. */
	resumed: boolean;
	progress(message: string): void;
}

export interface PlanContext {
	profile: Profile;
	repoPath: string;
	remote: string;
	branch: string;
	hostLabel: string;
	environmentHosts?: Partial<Record<EnvironmentName, string>>;
	lockDir: string;
	/** Known heads (from ls-remote) for a readable plan; placeholders otherwise. */
	heads: {feature?: string; staging?: string; main?: string};
}

export interface PromoteStep {
	id: StepId;
	title: string;
	/** The commands this step would run, for the dry run (nothing is run). */
	plan(ctx: PlanContext): string[];
	run(ctx: StepContext): Promise<string>;
}

const short = (sha: string | undefined) => sha?.slice(0, 12) ?? '?';

function git(ctx: PlanContext, ...args: string[]): string {
	return shellJoin(['git', '-C', ctx.repoPath, ...args]);
}

function onHost(ctx: PlanContext, command: string, environment?: EnvironmentName): string {
	return `[${(environment && ctx.environmentHosts?.[environment]) || ctx.hostLabel}] ${command}`;
}

function need<T>(value: T | undefined, what: string): T {
	if (value === undefined) throw new OpsError('failure', `The promotion journal lacks ${what}; it cannot continue from here.`, {hint: 'Abort it with `jutsu-ops promote --abort` and start again.'});
	return value;
}

function firstCommits(commits: Commit[], max = 5): string {
	const shown = commits.slice(0, max).map(c => `${c.sha.slice(0, 7)} ${c.subject}`).join('; ');
	return commits.length > max ? `${shown}; … ${commits.length - max} more` : shown;
}

async function remoteHead(ctx: StepContext, branch: string): Promise<string> {
	const sha = await ctx.world.repo.resolve(ctx.world.repo.remoteRef(branch), ctx.signal);
	if (!sha) {
		throw new OpsError('failure', `${ctx.world.repo.remote}/${branch} does not exist.`, {untouched: 'Nothing was changed.', hint: `Push ${branch} to ${ctx.world.repo.remote} first.`});
	}
	return sha;
}

async function preflight(ctx: StepContext): Promise<string> {
	const {world, journal} = ctx;
	const {repo, profile} = world;
	const staging = profile.environments.staging.branch;
	const main = profile.environments.production.branch;
	const branch = journal.branch;
	ctx.progress('checking the working tree');
	const dirty = await repo.dirtyFiles(ctx.signal);
	if (dirty.length > 0) {
		throw new OpsError('failure', `The working tree of ${repo.path} has uncommitted changes (${dirty.slice(0, 3).join(', ')}${dirty.length > 3 ? `, … ${dirty.length - 3} more` : ''}).`, {
			untouched: 'Nothing was changed.', hint: 'Commit or stash them, then run the promotion again.',
		});
	}
	ctx.progress(`fetching ${repo.remote}`);
	await repo.fetch(ctx.signal);
	const remote = await repo.resolve(repo.remoteRef(branch), ctx.signal);
	const local = await repo.resolve(`refs/heads/${branch}`, ctx.signal);
	if (!remote) {
		throw new OpsError('failure', local ? `${branch} is not pushed to ${repo.remote}.` : `There is no branch ${branch} here or on ${repo.remote}.`, {
			untouched: 'Nothing was changed.', hint: local ? `Push it: git push -u ${repo.remote} ${branch}` : 'Pick one of the feature branches (jutsu-ops promote --list).',
		});
	}
	if (local && local !== remote) {
		const {ahead, behind} = await repo.aheadBehind(remote, local, ctx.signal);
		if (ahead > 0) {
			throw new OpsError('failure', `${branch} has ${ahead} commit${ahead === 1 ? '' : 's'} not pushed to ${repo.remote}${behind ? ` (and lacks ${behind} of the remote's)` : ''}.`, {
				untouched: 'Nothing was changed.', hint: `Push it first (git push ${repo.remote} ${branch}): the promotion lands what the remote has.`,
			});
		}
		ctx.progress(`local ${branch} is ${behind} behind ${repo.remote}; the remote's ${short(remote)} is what lands`);
	}
	const stagingHead = await remoteHead(ctx, staging);
	ctx.progress(`checking that ${branch} merges into ${staging} without conflicts`);
	const check = await repo.mergeCheck(stagingHead, remote, ctx.signal);
	if (!check.clean) {
		throw new OpsError('failure', `${branch} conflicts with ${staging} in ${check.conflicts.length} file${check.conflicts.length === 1 ? '' : 's'}: ${check.conflicts.slice(0, 5).join(', ')}.`, {
			untouched: 'Nothing was changed.', hint: `Merge ${staging} into ${branch} and resolve the conflicts, push, then promote again.`,
		});
	}
	journal.facts.featureCommit = remote;
	journal.facts.stagingBefore = stagingHead;
	if (journal.target === 'production') journal.facts.mainBefore = await remoteHead(ctx, main);
	ctx.progress('taking the promotion lock on the host');
	await world.lock.acquire({id: journal.id, who: journal.who, since: journal.startedAt, branch, target: journal.target}, ctx.signal);
	const commits = check.alreadyMerged ? [] : await repo.commitsToLand(stagingHead, remote, ctx.signal);
	return check.alreadyMerged
		? `clean tree; ${branch} ${short(remote)} is already in ${staging}; lock taken`
		: `clean tree; ${commits.length} commit${commits.length === 1 ? '' : 's'} of ${branch} ${short(remote)} merge cleanly into ${staging} ${short(stagingHead)}; lock taken`;
}

async function mergeStaging(ctx: StepContext): Promise<string> {
	const {world, journal} = ctx;
	const {repo} = world;
	const staging = world.profile.environments.staging.branch;
	const feature = need(journal.facts.featureCommit, 'the checked feature commit');
	if (ctx.resumed) ctx.progress('resumed: re-reading the remote');
	await repo.fetch(ctx.signal);
	const head = await remoteHead(ctx, staging);
	if (await repo.isAncestor(feature, head, ctx.signal)) {
		journal.facts.stagingCommit = head;
		world.audit('promote.decision', `${journal.branch} ${short(feature)} is already in ${staging} ${short(head)}: nothing to merge`, 'ok');
		return `${journal.branch} ${short(feature)} is already in ${staging} (${short(head)})`;
	}
	const gh = await world.gh(ctx.signal);
	world.audit('promote.decision', gh.use ? `merge by pull request with gh ${gh.version}` : `merge with git and push (gh not used: ${gh.reason})`, 'ok');
	if (gh.use) {
		journal.facts.mergeMethod = 'gh';
		ctx.progress(`merging ${short(feature)} by pull request`);
		await world.ghMerge(journal.branch, staging, feature, ctx.signal);
		await repo.fetch(ctx.signal);
		journal.facts.stagingCommit = await remoteHead(ctx, staging);
		return `merged by pull request: ${staging} is at ${short(journal.facts.stagingCommit)}`;
	}
	journal.facts.mergeMethod = 'git';
	const check = await repo.mergeCheck(head, feature, ctx.signal);
	if (!check.clean || !check.tree) {
		throw new OpsError('failure', `${journal.branch} no longer merges cleanly into ${staging} (${check.conflicts.slice(0, 5).join(', ')}).`, {
			untouched: `${staging} was not changed.`, hint: `Someone changed ${staging} meanwhile: merge it into ${journal.branch}, push, and promote again.`,
		});
	}
	// Like `git merge --log`: the merged commits' subjects in the body (so a "[skip ci]" among them reaches CI).
	const landing = await repo.commitsToLand(head, feature, ctx.signal);
	const log = landing.slice(0, 20).map(c => `* ${c.subject}`).join('\n') + (landing.length > 20 ? `\n* … ${landing.length - 20} more` : '');
	const commit = await repo.commitMerge(check.tree, head, feature, `Merge branch '${journal.branch}' into ${staging}\n\n${log}\n\nPromoted with jutsu-ops (promotion ${journal.id}).`, ctx.signal);
	ctx.progress(`pushing ${short(commit)} to ${repo.remote}/${staging}`);
	await repo.pushCommit(commit, staging, head, ctx.signal);
	journal.facts.stagingCommit = commit;
	return `${staging} ${short(head)} -> ${short(commit)} (merge of ${journal.branch} ${short(feature)}), pushed`;
}

function waitCi(environment: EnvironmentName) {
	return async (ctx: StepContext): Promise<string> => {
		const {world, journal} = ctx;
		const env = world.profile.environments[environment];
		const commit = need(environment === 'staging' ? journal.facts.stagingCommit : journal.facts.mainCommit, `the commit ${env.branch} must build`);
		const image = await world.waitImage(environment, commit, {signal: ctx.signal, timeoutMs: ctx.options.ciTimeoutMs, onProgress: m => ctx.progress(m)});
		if (environment === 'staging') journal.facts.stagingImage = image;
		else journal.facts.productionImage = image;
		return `${env.image}:${env.tag} is ${image.digest.slice(7, 19)}, revision ${short(image.revision)}`;
	};
}

function update(environment: EnvironmentName) {
	return async (ctx: StepContext): Promise<string> => {
		const {world, journal} = ctx;
		const env = world.profile.environments[environment];
		const commit = need(environment === 'staging' ? journal.facts.stagingCommit : journal.facts.mainCommit, 'the expected revision');
		if (ctx.resumed) {
			ctx.progress(`resumed: checking that :${env.tag} still carries ${short(commit)}`);
			const now = await world.tagImage(environment, ctx.signal);
			if (now.revision !== commit) {
				throw new OpsError('failure', `${env.image}:${env.tag} now carries revision ${short(now.revision)}, not ${short(commit)}.`, {
					untouched: `${env.container} was not changed by this step.`, hint: 'Someone pushed meanwhile: abort this promotion (jutsu-ops promote --abort) and start again.',
				});
			}
		}
		const result = await world.update(environment, {
			signal: ctx.signal,
			onProgress: p => ctx.progress(p.message),
			healthTimeoutMs: ctx.options.healthTimeoutMs,
			...(environment === 'production' ? {confirm: env.container} : {}),
		});
		const facts = {fromImageId: result.fromImageId, fromRevision: result.fromRevision, toImageId: result.toImageId, toRevision: result.toRevision, outcome: result.outcome};
		// Keep the first "from" across a resumed update: it is the image to roll back to.
		const previous = journal.facts[environment];
		journal.facts[environment] = previous && previous.fromImageId !== result.toImageId ? {...facts, fromImageId: previous.fromImageId, fromRevision: previous.fromRevision} : facts;
		if (result.outcome === 'rolled-back') {
			journal.facts.rolledBack = [...(journal.facts.rolledBack ?? []), environment];
			throw new OpsError('failure', `The new ${env.tag} image (revision ${short(result.toRevision)}) did not become healthy: ${result.reason ?? 'unknown reason'}.`, {
				untouched: `${env.container} was rolled back to its previous image (revision ${short(result.fromRevision)}).`,
				hint: 'Fix the app on a feature branch and promote again; the merge stays in git.',
			});
		}
		if (result.toRevision && result.toRevision !== commit) {
			throw new OpsError('failure', `${env.container} now runs revision ${short(result.toRevision)}, not ${short(commit)}: the tag moved on.`, {hint: 'Abort this promotion and start again.'});
		}
		return result.outcome === 'unchanged'
			? `${env.container} already ran revision ${short(result.toRevision)}`
			: `${env.container}: revision ${short(result.fromRevision)} -> ${short(result.toRevision)} (${result.method})`;
	};
}

function verify(environment: EnvironmentName) {
	return async (ctx: StepContext): Promise<string> => {
		const {world, journal} = ctx;
		const env = world.profile.environments[environment];
		const commit = need(environment === 'staging' ? journal.facts.stagingCommit : journal.facts.mainCommit, 'the expected revision');
		const rollbackHint = journal.facts[environment]?.outcome === 'updated'
			? `Roll back to the previous image (revision ${short(journal.facts[environment]?.fromRevision)}): jutsu-ops promote --rollback${environment === 'production' ? ' --yes-i-know' : ''} (Promote screen: b).`
			: 'Look at the container on the Containers screen.';
		ctx.progress(`GET :${env.apiPort}${world.profile.app.healthPath}`);
		const health = await world.health(environment, ctx.signal);
		if (health.status !== 200) {
			throw new OpsError('failure', `${env.container}'s health endpoint ${health.status === undefined ? `did not answer (${health.error ?? 'no answer'})` : `answered ${health.status}`}.`, {hint: rollbackHint});
		}
		if (health.revision !== commit) {
			throw new OpsError('failure', `${env.container} serves revision ${short(health.revision)}, not the promoted ${short(commit)}.`, {hint: rollbackHint});
		}
		ctx.progress('running the safety checks');
		const safety = await world.safety(environment, ctx.signal);
		if (safety.failed.length > 0) {
			throw new OpsError('failure', `${safety.failed.length} safety check${safety.failed.length === 1 ? '' : 's'} failed for ${environment}: ${safety.failed.slice(0, 3).join('; ')}.`, {hint: rollbackHint});
		}
		return `healthy, serves ${short(commit)}; safety: ${safety.summary}`;
	};
}

async function gate(ctx: StepContext): Promise<string> {
	const {world, journal} = ctx;
	const {repo} = world;
	const production = world.profile.environments.production;
	const stagingCommit = need(journal.facts.stagingCommit, 'the staging commit');
	await repo.fetch(ctx.signal);
	const main = await remoteHead(ctx, production.branch);
	const commits = await repo.commitsToLand(main, stagingCommit, ctx.signal);
	const diffstat = await repo.diffstat(main, stagingCommit, ctx.signal);
	const served = await world.health('staging', ctx.signal).then(h => h.revision).catch(() => undefined);
	const review: GateReview = {container: production.container, branch: journal.branch, stagingCommit, commits: commits.map(c => ({sha: c.sha, subject: c.subject})), diffstat, stagingRevisionServed: served};
	ctx.progress(`waiting for the operator: production receives ${commits.length} commit${commits.length === 1 ? '' : 's'}`);
	const confirmed = await ctx.options.confirmGate(review);
	world.audit('promote.gate', confirmed
		? `production gate confirmed for ${production.container}: ${commits.length} commits up to ${short(stagingCommit)} (${firstCommits(commits)})`
		: `production gate declined for ${production.container}`, confirmed ? 'ok' : 'aborted');
	if (!confirmed) {
		throw new OpsError('usage', `The production gate was not confirmed: ${production.container} was not touched.`, {
			untouched: `Staging keeps ${short(stagingCommit)}.`, hint: `Promote to production later with: jutsu-ops promote ${journal.branch} --to production --yes-i-know`,
		});
	}
	journal.facts.mainBefore = main;
	return `confirmed: ${commits.length} commit${commits.length === 1 ? '' : 's'} for production (${firstCommits(commits, 3) || 'none'})`;
}

async function mergeMain(ctx: StepContext): Promise<string> {
	const {world, journal} = ctx;
	const {repo} = world;
	const staging = world.profile.environments.staging.branch;
	const main = world.profile.environments.production.branch;
	const stagingCommit = need(journal.facts.stagingCommit, 'the staging commit');
	await repo.fetch(ctx.signal);
	const head = await remoteHead(ctx, main);
	if (await repo.isAncestor(stagingCommit, head, ctx.signal)) {
		journal.facts.mainCommit = head;
		return `${main} ${short(head)} already contains ${staging} ${short(stagingCommit)}`;
	}
	if (await repo.isAncestor(head, stagingCommit, ctx.signal)) {
		// A fast-forward: production builds exactly the commit staging verified.
		ctx.progress(`fast-forwarding ${main} to ${short(stagingCommit)}`);
		await repo.pushCommit(stagingCommit, main, head, ctx.signal);
		journal.facts.mainCommit = stagingCommit;
		world.audit('promote.decision', `${main} fast-forwarded ${short(head)} -> ${short(stagingCommit)}`, 'ok');
		return `${main} ${short(head)} -> ${short(stagingCommit)} (fast-forward to what staging verified), pushed`;
	}
	const check = await repo.mergeCheck(head, stagingCommit, ctx.signal);
	if (!check.clean || !check.tree) {
		throw new OpsError('failure', `${staging} conflicts with ${main} (${check.conflicts.slice(0, 5).join(', ')}).`, {
			untouched: `${main} and production were not changed.`, hint: `Merge ${main} into ${staging} by hand, then promote again.`,
		});
	}
	const commit = await repo.commitMerge(check.tree, head, stagingCommit, `Merge branch '${staging}' into ${main}\n\nPromoted with jutsu-ops (promotion ${journal.id}, ${journal.branch}).`, ctx.signal);
	await repo.pushCommit(commit, main, head, ctx.signal);
	journal.facts.mainCommit = commit;
	return `${main} ${short(head)} -> ${short(commit)} (merge of ${staging} ${short(stagingCommit)}), pushed`;
}

export function promotionSteps(profile: Profile): PromoteStep[] {
	const {staging, production} = profile.environments;
	const remoteRef = (c: PlanContext, b: string) => `${c.remote}/${b}`;
	const updatePlan = (c: PlanContext, e: EnvironmentName) => {
		const env = profile.environments[e];
		return [
			onHost(c, shellJoin(['docker', 'pull', `${env.image}:${env.tag}`]), e),
			onHost(c, shellJoin(['docker', 'rename', env.container, `${env.container}-jutsu-old-<stamp>`]) + ' && docker stop …', e),
			onHost(c, `create ${env.container} from the old container's settings on ${env.image}:${env.tag} (Docker Engine API), docker start ${env.container}`, e),
			onHost(c, `wait for health on :${env.apiPort}${profile.app.healthPath}; on failure: rename the old container back and start it`, e),
		];
	};
	const verifyPlan = (c: PlanContext, e: EnvironmentName) => [
		onHost(c, shellJoin(['curl', '-sS', `http://127.0.0.1:${profile.environments[e].apiPort}${profile.app.healthPath}`]) + '  # expect status ok and the promoted revision', e),
		e === 'staging' ? 'jutsu-ops verify  # every safety check' : 'jutsu-ops verify --group production',
	];
	return [
		{
			id: 'preflight', title: 'Preflight: clean tree, fetched, pushed, mergeable, lock',
			plan: c => [
				git(c, 'status', '--porcelain', '--untracked-files=no'),
				git(c, 'fetch', '--prune', '--quiet', c.remote),
				git(c, 'rev-parse', '--verify', '-q', `refs/remotes/${c.remote}/${c.branch}^{commit}`),
				git(c, 'merge-tree', '--write-tree', '--name-only', '--no-messages', c.heads.staging ?? remoteRef(c, staging.branch), c.heads.feature ?? remoteRef(c, c.branch)),
				onHost(c, `mkdir ${c.lockDir}  # then owner.json: who@machine, since, ${c.branch}; refused if it exists`),
			],
			run: preflight,
		},
		{
			id: 'merge-staging', title: `Merge into ${staging.branch}`,
			plan: c => [
				git(c, 'merge-tree', '--write-tree', c.heads.staging ?? remoteRef(c, staging.branch), c.heads.feature ?? remoteRef(c, c.branch)),
				git(c, 'commit-tree', '<tree>', '-p', c.heads.staging ?? remoteRef(c, staging.branch), '-p', c.heads.feature ?? remoteRef(c, c.branch), '-m', `Merge branch '${c.branch}' into ${staging.branch}`),
				git(c, 'push', '--porcelain', `--force-with-lease=refs/heads/${staging.branch}:${c.heads.staging ?? '<staging head>'}`, c.remote, `<merge commit>:refs/heads/${staging.branch}`),
				'(with gh logged in and a GitHub remote instead: gh pr create --base staging --head BRANCH; gh pr merge BRANCH --merge --match-head-commit SHA)',
			],
			run: mergeStaging,
		},
		{
			id: 'wait-ci-staging', title: `Wait for CI: :${staging.tag} carries the merge`,
			plan: () => [`HEAD ${profile.registry.url ?? 'registry'}/v2/…/manifests/${staging.tag} every 2 s until the image's ${'org.opencontainers.image.revision'} is <merge commit>`],
			run: waitCi('staging'),
		},
		{id: 'update-staging', title: `Update ${staging.container}`, plan: c => updatePlan(c, 'staging'), run: update('staging')},
		{id: 'verify-staging', title: 'Verify staging: health, revision, safety checks', plan: c => verifyPlan(c, 'staging'), run: verify('staging')},
		{
			id: 'gate', title: `Gate: type ${production.container} to release to production`,
			plan: c => [git(c, 'log', `${remoteRef(c, production.branch)}..<staging commit>`), `ask the operator to type ${production.container} (CLI: --yes-i-know)`],
			run: gate,
		},
		{
			id: 'merge-main', title: `Merge ${staging.branch} into ${production.branch}`,
			plan: c => [
				git(c, 'fetch', '--prune', '--quiet', c.remote),
				git(c, 'push', '--porcelain', `--force-with-lease=refs/heads/${production.branch}:${c.heads.main ?? '<main head>'}`, c.remote, `<staging commit>:refs/heads/${production.branch}`) + '  # fast-forward; a merge commit when main has diverged',
			],
			run: mergeMain,
		},
		{
			id: 'wait-ci-production', title: `Wait for CI: :${production.tag} carries it`,
			plan: () => [`HEAD ${profile.registry.url ?? 'registry'}/v2/…/manifests/${production.tag} every 2 s until the revision label is the ${production.branch} commit`],
			run: waitCi('production'),
		},
		{id: 'update-production', title: `Update ${production.container}`, plan: c => updatePlan(c, 'production'), run: update('production')},
		{id: 'verify-production', title: 'Verify production: health, revision, safety checks', plan: c => verifyPlan(c, 'production'), run: verify('production')},
	];
}
