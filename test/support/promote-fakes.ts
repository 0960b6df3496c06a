import {newJournal} from '../../source/core/promote/journal.js';
import type {PromoteServices} from '../../source/core/promote/service.js';
import {stepsFor, type GateReview, type Journal, type StepId} from '../../source/core/promote/types.js';

export interface FakePromote extends PromoteServices {
	calls: string[];
	/** Make this step fail with these lines. */
	failAt?: {step: StepId; lines: string[]};
	/** Resolve this to let the running step finish (one per step); otherwise steps finish after `stepMs`. */
	stepMs: number;
	lastGate?: GateReview;
}

const TITLES: Record<StepId, string> = {
	preflight: 'Preflight: clean tree, fetched, pushed, mergeable, lock',
	'merge-staging': 'Merge into staging',
	'wait-ci-staging': 'Wait for CI: :staging carries the merge',
	'update-staging': 'Update jutsu-labs-staging',
	'verify-staging': 'Verify staging: health, revision, safety checks',
	gate: 'Gate: type jutsu-labs to release to production',
	'merge-main': 'Merge staging into main',
	'wait-ci-production': 'Wait for CI: :latest carries it',
	'update-production': 'Update jutsu-labs',
	'verify-production': 'Verify production: health, revision, safety checks',
};

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** A scripted promotion: steps go running -> done with progress, the gate asks, a chosen step can fail. */
export function fakePromoteServices(): FakePromote {
	const fake: FakePromote = {
		calls: [],
		stepMs: 20,
		async listBranches() {
			fake.calls.push('list');
			return [
				{name: 'feature/risk-limits', local: 'a'.repeat(40), remote: 'a'.repeat(40), ahead: 2, behind: 0, last: {sha: 'a'.repeat(40), subject: 'Cap position size at 5%', author: 'ana', date: '2026-12-04T10:00:00Z'}},
				{name: 'feature/new-chart', local: undefined, remote: 'b'.repeat(40), ahead: 1, behind: 3, last: {sha: 'b'.repeat(40), subject: 'Equity curve chart', author: 'bo', date: '2026-12-03T10:00:00Z'}},
			];
		},
		async preview(branch) {
			fake.calls.push(`preview ${branch}`);
			return branch === 'feature/risk-limits'
				? {base: 'origin/staging', commits: [{sha: '1111111aaaa', subject: 'Cap position size at 5%', author: 'ana', date: ''}, {sha: '2222222bbbb', subject: 'Add risk limit tests', author: 'ana', date: ''}], diffstat: ' risk.py | 12 ++++++++++--\n 1 file changed, 10 insertions(+), 2 deletions(-)'}
				: {base: 'origin/staging', commits: [{sha: '3333333cccc', subject: 'Equity curve chart', author: 'bo', date: ''}], diffstat: ' chart.js | 40 ++++\n 1 file changed, 40 insertions(+)'};
		},
		async dryRun(branch, target) {
			fake.calls.push(`dry-run ${branch} ${target}`);
			return {branch, target, notes: ['no promotion lock is held'], steps: stepsFor(target).map(id => ({id, title: TITLES[id], commands: [`cmd for ${id}`]}))};
		},
		async run(branch, target, handlers, signal) {
			fake.calls.push(`run ${branch} ${target}`);
			const journal: Journal = newJournal('fake@host', branch, target);
			handlers.onEvent({type: 'journal', journal});
			for (const id of stepsFor(target)) {
				const step = journal.steps.find(s => s.id === id)!;
				step.status = 'running';
				handlers.onEvent({type: 'step', step: {...step}});
				handlers.onEvent({type: 'progress', id, message: `working on ${id}`});
				if (id === 'gate') {
					const review: GateReview = {container: 'jutsu-labs', branch, stagingCommit: 'c'.repeat(40), commits: [{sha: 'c'.repeat(40), subject: `Merge branch '${branch}' into staging`}], diffstat: ' 1 file changed', stagingRevisionServed: 'c'.repeat(40)};
					fake.lastGate = review;
					const ok = await handlers.confirmGate(review);
					fake.calls.push(`gate ${ok ? 'confirmed' : 'declined'}`);
					if (!ok) {
						step.status = 'failed';
						step.error = ['The production gate was not confirmed: jutsu-labs was not touched.'];
						journal.status = 'aborted';
						journal.reason = step.error;
						handlers.onEvent({type: 'step', step: {...step}});
						return journal;
					}
				} else {
					await sleep(fake.stepMs);
				}
				if (signal.aborted) {
					journal.status = 'interrupted';
					return journal;
				}
				if (fake.failAt?.step === id) {
					step.status = 'failed';
					step.error = fake.failAt.lines;
					journal.status = 'failed';
					journal.reason = fake.failAt.lines;
					handlers.onEvent({type: 'step', step: {...step}});
					return journal;
				}
				step.status = 'done';
				step.detail = `${id} ok`;
				handlers.onEvent({type: 'step', step: {...step}});
				fake.calls.push(`done ${id}`);
			}
			journal.status = 'done';
			return journal;
		},
		async rollback(confirmProduction, onProgress) {
			fake.calls.push(`rollback production=${confirmProduction}`);
			onProgress('re-creating the container');
			return 'jutsu-labs-staging is back on the image it ran before the promotion.';
		},
		unfinished: () => undefined,
		titles: () => ({...TITLES}),
	};
	return fake;
}

