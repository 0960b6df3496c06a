import type {Commit, FeatureBranch} from '../git/repo.js';
import type {Session} from '../session.js';
import {planPromotion, type PromotionPlan, rollbackPromotion, runPromotion, startOrResume} from './engine.js';
import {JournalStore} from './journal.js';
import {promotionSteps} from './steps.js';
import type {GateReview, Journal, PromoteEvent, PromotionTarget} from './types.js';
import {profileKey, sessionWorld} from './world.js';

/** What the Promote screen may ask (through AppServices.promote); tests pass fakes. */
export interface PromoteServices {
	/** Feature branches (after a fetch) with ahead/behind against the remote staging branch. */
	listBranches(signal: AbortSignal): Promise<FeatureBranch[]>;
	/** The commits and diffstat that would land in staging. */
	preview(branch: string, signal: AbortSignal): Promise<{base: string; commits: Commit[]; diffstat: string}>;
	dryRun(branch: string, target: PromotionTarget, signal: AbortSignal): Promise<PromotionPlan>;
	/** Run (or resume) the pipeline; the gate callback resolves true only after the operator typed the name. */
	run(branch: string, target: PromotionTarget, handlers: {onEvent(event: PromoteEvent): void; confirmGate(review: GateReview): Promise<boolean>}, signal: AbortSignal): Promise<Journal>;
	/** After a failed verification: the environment back on its previous image. */
	rollback(confirmProduction: boolean, onProgress: (message: string) => void, signal: AbortSignal): Promise<string>;
	/** The unfinished promotion of this profile, if any (shown so the operator can resume it). */
	unfinished(): Journal | undefined;
	/** The step titles, in order, for a target. */
	titles(): Record<string, string>;
}

export function sessionPromoteServices(session: Session, options: {ciTimeoutMs?: number; healthTimeoutMs?: number} = {}): PromoteServices {
	const world = sessionWorld(session);
	const store = new JournalStore();
	const key = profileKey(session);
	const steps = promotionSteps(session.profile);
	const staging = session.profile.environments.staging.branch;
	const base = `refs/remotes/${session.profile.repo.remote}/${staging}`;
	return {
		async listBranches(signal) {
			await world.repo.fetch(signal);
			return world.repo.featureBranches(session.profile.repo.featurePrefix, base, signal);
		},
		async preview(branch, signal) {
			const head = await world.repo.resolve(world.repo.remoteRef(branch), signal) ?? await world.repo.resolve(`refs/heads/${branch}`, signal) ?? branch;
			const [commits, diffstat] = await Promise.all([world.repo.commitsToLand(base, head, signal), world.repo.diffstat(base, head, signal)]);
			return {base: `${session.profile.repo.remote}/${staging}`, commits, diffstat};
		},
		dryRun: (branch, target, signal) => planPromotion(world, steps, branch, target, signal),
		async run(branch, target, handlers, signal) {
			await session.transport.connect(signal);
			const started = startOrResume(store, key, branch, target);
			return runPromotion({
				world, store, steps, started, signal, onEvent: handlers.onEvent,
				options: {ciTimeoutMs: options.ciTimeoutMs ?? 20 * 60_000, ...(options.healthTimeoutMs ? {healthTimeoutMs: options.healthTimeoutMs} : {}), confirmGate: handlers.confirmGate},
			});
		},
		async rollback(confirmProduction, onProgress, signal) {
			const {environment} = await rollbackPromotion(world, store, key, {signal, confirmProduction, onProgress});
			return `${session.profile.environments[environment].container} is back on the image it ran before the promotion.`;
		},
		unfinished: () => store.unfinished(key),
		titles: () => Object.fromEntries(steps.map(s => [s.id, s.title])),
	};
}
