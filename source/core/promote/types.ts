import type {EnvironmentName} from '../config/schema.js';

export type PromotionTarget = EnvironmentName;

export const STEP_IDS = [
	'preflight',
	'merge-staging',
	'wait-ci-staging',
	'update-staging',
	'verify-staging',
	'gate',
	'merge-main',
	'wait-ci-production',
	'update-production',
	'verify-production',
] as const;
export type StepId = typeof STEP_IDS[number];

/** The last step of each target: staging stops after verifying staging. */
export const LAST_STEP: Record<PromotionTarget, StepId> = {staging: 'verify-staging', production: 'verify-production'};

export function stepsFor(target: PromotionTarget): StepId[] {
	return STEP_IDS.slice(0, STEP_IDS.indexOf(LAST_STEP[target]) + 1);
}

export type StepStatus = 'pending' | 'running' | 'done' | 'failed';

export interface StepRecord {
	id: StepId;
	status: StepStatus;
	startedAt?: string;
	finishedAt?: string;
	/** One line: what the step found or did. */
	detail?: string;
	/** The error's lines when it failed. */
	error?: string[];
}

export type PromotionStatus = 'running' | 'interrupted' | 'failed' | 'done' | 'aborted';

export interface ImageFacts {
	fromImageId: string;
	fromRevision: string | undefined;
	toImageId: string;
	toRevision: string | undefined;
	outcome: string;
}

/** What the steps learned; a resumed promotion continues from these. */
export interface PromotionFacts {
	featureCommit?: string;
	stagingBefore?: string;
	/** The commit staging must build and serve (the merge, or staging's head when the branch was already in it). */
	stagingCommit?: string;
	mainBefore?: string;
	mainCommit?: string;
	stagingImage?: {digest: string; revision: string | undefined};
	productionImage?: {digest: string; revision: string | undefined};
	staging?: ImageFacts;
	production?: ImageFacts;
	mergeMethod?: 'git' | 'gh';
	rolledBack?: EnvironmentName[];
}

/** The state of one promotion, saved after every step (source/core/promote/journal.ts). */
export interface Journal {
	version: 1;
	id: string;
	/** Profile name and host: one unfinished promotion per host. */
	profileKey: string;
	branch: string;
	target: PromotionTarget;
	status: PromotionStatus;
	/** who@machine */
	who: string;
	pid: number;
	startedAt: string;
	updatedAt: string;
	steps: StepRecord[];
	facts: PromotionFacts;
	/** Why it failed or stopped, in one or two lines. */
	reason?: string[];
}

export type PromoteEvent =
	| {type: 'step'; step: StepRecord}
	| {type: 'progress'; id: StepId; message: string}
	| {type: 'note'; message: string}
	| {type: 'journal'; journal: Journal};

/** What the production gate shows before the operator types the container's name. */
export interface GateReview {
	container: string;
	branch: string;
	stagingCommit: string;
	/** Commits production will receive (main..staging), newest first. */
	commits: {sha: string; subject: string}[];
	diffstat: string;
	stagingRevisionServed: string | undefined;
}

export interface LockInfo {
	id: string;
	who: string;
	since: string;
	branch: string;
	target?: PromotionTarget;
}
