import {describeError, isOpsError, OpsError} from '../errors.js';
import {JournalStore, newJournal, retarget} from './journal.js';
import type {PlanContext, PromoteRunOptions, PromoteStep, PromoteWorld, StepContext} from './steps.js';
import {type Journal, type PromoteEvent, type PromotionTarget, stepsFor, type StepRecord} from './types.js';

/**
 * The promotion state machine: steps run in order; the journal is saved before and after each one; a step that
 * was running when the process died is re-run on resume after re-checking its preconditions. Every step start,
 * finish and decision goes to the audit log.
 */

export interface Started {
	journal: Journal;
	resumed: boolean;
}

/**
 * Start a promotion, or pick up the unfinished (crashed or interrupted) one of this profile for the same branch.
 * An unfinished promotion of another branch is refused: resume or abort it first.
 */
export function startOrResume(store: JournalStore, profileKey: string, branch: string, target: PromotionTarget): Started {
	const open = store.unfinished(profileKey);
	if (open && JournalStore.liveElsewhere(open)) {
		throw new OpsError('failure', `A promotion of ${open.branch} is running right now in process ${open.pid} (${open.who}).`, {untouched: 'Nothing was changed.', hint: 'Wait for it, or stop that process first.'});
	}
	if (open && open.branch === branch) {
		retarget(open, target);
		open.status = 'running';
		open.pid = process.pid;
		delete open.reason;
		return {journal: open, resumed: true};
	}
	if (open) {
		const at = open.steps.find(s => s.status !== 'done')?.id ?? 'the end';
		throw new OpsError('failure', `The promotion of ${open.branch} to ${open.target} is unfinished (${open.status} at ${at}).`, {
			untouched: 'Nothing was changed.',
			hint: `Resume it with \`jutsu-ops promote ${open.branch} --to ${open.target}\`, or give it up with \`jutsu-ops promote --abort\`.`,
		});
	}
	return {journal: newJournal(profileKey, branch, target), resumed: false};
}

export interface RunArgs {
	world: PromoteWorld;
	store: JournalStore;
	steps: readonly PromoteStep[];
	started: Started;
	options: PromoteRunOptions;
	signal: AbortSignal;
	onEvent?: (event: PromoteEvent) => void;
	/** Tests: stop right after the given step is saved as running (simulates a crash). */
	now?: () => Date;
}

function copy(step: StepRecord): StepRecord {
	return JSON.parse(JSON.stringify(step)) as StepRecord;
}

export async function runPromotion(args: RunArgs): Promise<Journal> {
	const {world, store, steps, options, signal, onEvent} = args;
	const {journal, resumed} = args.started;
	const now = args.now ?? (() => new Date());
	const emit = (event: PromoteEvent) => onEvent?.(event);
	const save = () => {
		store.save(journal);
		emit({type: 'journal', journal});
	};
	const ids = stepsFor(journal.target);
	world.audit('promote.start', `${resumed ? 'resume' : 'start'} promotion ${journal.id}: ${journal.branch} -> ${journal.target} (by ${journal.who})`, 'ok');
	save();

	// A resumed promotion past preflight must hold the host lock again (it is still ours after a crash).
	const firstOpen = journal.steps.find(s => s.status !== 'done');
	if (resumed && firstOpen && firstOpen.id !== 'preflight') {
		try {
			const how = await world.lock.acquire({id: journal.id, who: journal.who, since: journal.startedAt, branch: journal.branch, target: journal.target}, signal);
			emit({type: 'note', message: `resuming at ${firstOpen.id} (lock ${how})`});
			world.audit('promote.resume', `resuming ${journal.id} at ${firstOpen.id}; lock ${how}`, 'ok');
		} catch (error) {
			journal.status = 'interrupted';
			journal.reason = describeError(error);
			save();
			throw error;
		}
	}

	for (const id of ids) {
		const step = steps.find(s => s.id === id);
		const record = journal.steps.find(s => s.id === id)!;
		if (!step || record.status === 'done') continue;
		const wasStarted = record.status === 'running' || record.status === 'failed';
		record.status = 'running';
		record.startedAt = now().toISOString();
		delete record.finishedAt;
		delete record.error;
		record.detail = wasStarted ? 're-checking after an interruption' : undefined;
		save();
		emit({type: 'step', step: copy(record)});
		world.audit(`promote.${id}`, `start${wasStarted ? ' (resumed)' : ''}: ${step.title}`, 'ok');
		const ctx: StepContext = {
			world, journal, options, signal, resumed: wasStarted,
			progress: message => emit({type: 'progress', id, message}),
		};
		try {
			const detail = await step.run(ctx);
			record.status = 'done';
			record.detail = detail;
			record.finishedAt = now().toISOString();
			save();
			emit({type: 'step', step: copy(record)});
			world.audit(`promote.${id}`, `done: ${detail}`, 'ok');
		} catch (error) {
			const lines = describeError(error);
			record.finishedAt = now().toISOString();
			if (signal.aborted || (isOpsError(error) && error.kind === 'aborted')) {
				// Interrupted: the step will be re-run (after its checks) on resume; the lock stays ours.
				record.error = ['interrupted'];
				journal.status = 'interrupted';
				journal.reason = [`Interrupted during ${id}.`, `Resume with \`jutsu-ops promote ${journal.branch} --to ${journal.target}\`, or give up with \`jutsu-ops promote --abort\`.`];
				save();
				emit({type: 'step', step: copy(record)});
				world.audit(`promote.${id}`, 'interrupted', 'aborted');
				return journal;
			}
			record.status = 'failed';
			record.error = lines;
			journal.status = id === 'gate' && isOpsError(error) && error.kind === 'usage' ? 'aborted' : 'failed';
			journal.reason = lines;
			save();
			emit({type: 'step', step: copy(record)});
			world.audit(`promote.${id}`, `failed: ${lines.join(' ')}`, 'failed');
			await world.lock.release(journal.id).catch(() => false);
			world.audit('promote.end', `promotion ${journal.id} ${journal.status} at ${id}; lock released`, 'failed');
			return journal;
		}
	}
	journal.status = 'done';
	save();
	await world.lock.release(journal.id).catch(() => false);
	world.audit('promote.end', `promotion ${journal.id} done: ${journal.branch} is in ${journal.target}; lock released`, 'ok');
	return journal;
}

export interface PlanStep {
	id: string;
	title: string;
	commands: string[];
}

export interface PromotionPlan {
	branch: string;
	target: PromotionTarget;
	notes: string[];
	steps: PlanStep[];
}

/** The dry run: what each step would run, from read-only looks (ls-remote, the lock, the registry). Touches nothing. */
export async function planPromotion(world: PromoteWorld, steps: readonly PromoteStep[], branch: string, target: PromotionTarget, signal?: AbortSignal): Promise<PromotionPlan> {
	const {profile, repo} = world;
	const notes: string[] = [];
	const stagingBranch = profile.environments.staging.branch;
	const mainBranch = profile.environments.production.branch;
	const heads: PlanContext['heads'] = {};
	try {
		const remote = await repo.lsRemote([branch, stagingBranch, mainBranch], signal);
		heads.feature = remote.get(branch);
		heads.staging = remote.get(stagingBranch);
		heads.main = remote.get(mainBranch);
		notes.push(heads.feature ? `${repo.remote}/${branch} is at ${heads.feature.slice(0, 12)}` : `${branch} is not on ${repo.remote}: preflight would stop here`);
		notes.push(`${repo.remote}/${stagingBranch} is at ${heads.staging?.slice(0, 12) ?? '(missing)'}; ${repo.remote}/${mainBranch} at ${heads.main?.slice(0, 12) ?? '(missing)'}`);
	} catch (error) {
		notes.push(`could not read ${repo.remote}: ${describeError(error)[0]}`);
	}
	const dirty = await repo.dirtyFiles(signal).catch(() => []);
	if (dirty.length > 0) notes.push(`the working tree has ${dirty.length} uncommitted change${dirty.length === 1 ? '' : 's'}: preflight would stop here`);
	const lock = await world.lock.read(signal).catch(() => undefined);
	notes.push(lock === 'free' ? 'no promotion lock is held' : lock ? `the lock is held by ${lock.who} since ${lock.since} (${lock.branch})` : 'the lock state could not be read');
	for (const environment of ['staging', 'production'] as const) {
		const image = await world.tagImage(environment, signal).catch(() => undefined);
		if (image) notes.push(`:${profile.environments[environment].tag} is ${image.digest.slice(7, 19)} (revision ${image.revision?.slice(0, 12) ?? 'none'})`);
	}
	const ctx: PlanContext = {profile, repoPath: repo.path, remote: repo.remote, branch, hostLabel: world.hostLabel, ...(world.environmentHosts ? {environmentHosts: world.environmentHosts} : {}), lockDir: world.lockDir, heads};
	const ids = stepsFor(target);
	return {
		branch, target, notes,
		steps: steps.filter(s => ids.includes(s.id)).map(s => ({id: s.id, title: s.title, commands: s.plan(ctx)})),
	};
}

/** Give up the unfinished promotion: journal marked aborted, our lock released. Nothing else changes. */
export async function abortPromotion(world: PromoteWorld, store: JournalStore, profileKey: string): Promise<Journal> {
	const open = store.unfinished(profileKey);
	if (!open) throw new OpsError('usage', 'There is no unfinished promotion to abort.', {untouched: 'Nothing was changed.'});
	const released = await world.lock.release(open.id);
	open.status = 'aborted';
	open.reason = [`aborted by ${newJournal(profileKey, open.branch, open.target).who}`];
	store.save(open);
	world.audit('promote.abort', `promotion ${open.id} of ${open.branch} aborted at ${open.steps.find(s => s.status !== 'done')?.id ?? 'the end'}; lock ${released ? 'released' : 'not ours or already gone'}`, 'ok');
	return open;
}

/** Put an environment back on the image it ran before this promotion updated it (after a failed verify). */
export async function rollbackPromotion(world: PromoteWorld, store: JournalStore, profileKey: string, options: {signal?: AbortSignal; confirmProduction?: boolean; onProgress?: (m: string) => void} = {}): Promise<{journal: Journal; environment: 'staging' | 'production'}> {
	const journal = store.latest(profileKey);
	const failedVerify = journal?.steps.find(s => s.status === 'failed' && (s.id === 'verify-staging' || s.id === 'verify-production'));
	if (!journal || !failedVerify) {
		throw new OpsError('usage', 'The last promotion did not fail a verification: there is nothing to roll back.', {untouched: 'Nothing was changed.'});
	}
	const environment = failedVerify.id === 'verify-staging' ? 'staging' : 'production';
	const facts = journal.facts[environment];
	if (!facts || facts.outcome !== 'updated') throw new OpsError('usage', `The promotion did not change ${environment}'s container: nothing to roll back.`, {untouched: 'Nothing was changed.'});
	if (journal.facts.rolledBack?.includes(environment)) throw new OpsError('usage', `${environment} was already rolled back.`, {untouched: 'Nothing was changed.'});
	const container = world.profile.environments[environment].container;
	if (environment === 'production' && !options.confirmProduction) {
		throw new OpsError('usage', `Rolling back PRODUCTION (${container}) needs confirmation.`, {untouched: 'Nothing was changed.', hint: 'Pass --yes-i-know (Promote screen: type the container name).'});
	}
	world.audit('promote.decision', `rollback of ${container} to ${facts.fromImageId.slice(7, 19)} (revision ${facts.fromRevision?.slice(0, 12) ?? '-'}) requested`, 'ok');
	await world.rollback(environment, facts.fromImageId, {signal: options.signal, confirm: environment === 'production' ? container : undefined, onProgress: m => options.onProgress?.(m)});
	journal.facts.rolledBack = [...(journal.facts.rolledBack ?? []), environment];
	journal.reason = [...(journal.reason ?? []).slice(0, 1), `${container} was rolled back to revision ${facts.fromRevision?.slice(0, 12) ?? facts.fromImageId.slice(7, 19)}.`];
	store.save(journal);
	return {journal, environment};
}
