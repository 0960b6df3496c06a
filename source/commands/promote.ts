import {bold, dim, green, red, yellow} from '../core/color.js';
import {OpsError} from '../core/errors.js';
import {abortPromotion, planPromotion, rollbackPromotion, runPromotion, startOrResume} from '../core/promote/engine.js';
import {JournalStore} from '../core/promote/journal.js';
import {promotionSteps} from '../core/promote/steps.js';
import type {Journal, PromotionTarget} from '../core/promote/types.js';
import {profileKey, sessionWorld} from '../core/promote/world.js';
import type {Session} from '../core/session.js';
import {hostsLabel} from '../core/hosts.js';

export interface PromoteOptions {
	to?: string;
	dryRun?: boolean;
	yesIKnow?: boolean;
	abort?: boolean;
	rollback?: boolean;
	list?: boolean;
	ciTimeout?: number;
	healthTimeout?: number;
	json?: boolean;
}

const out = (line = '') => process.stdout.write(`${line}\n`);

function seconds(ms: number): string {
	return `${(ms / 1000).toFixed(1)} s`;
}

export function parseTarget(value: string | undefined): PromotionTarget {
	if (value === 'staging' || value === 'production') return value;
	throw new OpsError('usage', value ? `--to must be staging or production, not "${value}". Nothing was changed.` : 'Say where to promote: --to staging or --to production. Nothing was changed.');
}

function summary(journal: Journal): string[] {
	const lines = [];
	const f = journal.facts;
	if (f.stagingCommit) lines.push(`staging commit ${f.stagingCommit}`);
	if (f.mainCommit) lines.push(`main commit ${f.mainCommit}`);
	return lines;
}

/** `jutsu-ops promote BRANCH --to staging|production`: the promotion pipeline without Ink. */
export async function promoteCommand(session: Session, branch: string | undefined, options: PromoteOptions, signal: AbortSignal): Promise<number> {
	const store = new JournalStore();
	const key = profileKey(session);
	const world = sessionWorld(session);
	const steps = promotionSteps(session.profile);
	if (options.list) {
		const staging = `${world.repo.remote}/${session.profile.environments.staging.branch}`;
		const branches = await world.repo.featureBranches(session.profile.repo.featurePrefix, `refs/remotes/${staging}`, signal);
		if (options.json) out(JSON.stringify(branches, null, 2));
		else for (const b of branches) out(`${b.name.padEnd(32)} +${b.ahead}/-${b.behind} vs ${staging}  ${b.local ? 'local' : '     '} ${b.remote ? 'remote' : '      '}  ${b.last?.sha.slice(0, 7) ?? ''} ${b.last?.subject ?? ''}`);
		return 0;
	}
	if (options.abort) {
		await session.transport.connect(signal);
		const journal = await abortPromotion(world, store, key);
		out(`Promotion ${journal.id} of ${journal.branch} aborted; its lock is released. Git and the containers stay as they are now.`);
		return 0;
	}
	if (options.rollback) {
		if (session.readOnly) throw new OpsError('usage', 'This session is read-only: the rollback was refused.', {untouched: 'Nothing was changed.'});
		await session.transport.connect(signal);
		const {environment} = await rollbackPromotion(world, store, key, {signal, confirmProduction: Boolean(options.yesIKnow), onProgress: m => out(dim(`  ${m}`))});
		out(`${session.profile.environments[environment].container} is back on the image it ran before the promotion.`);
		return 0;
	}
	if (!branch) throw new OpsError('usage', 'Name the feature branch to promote (jutsu-ops promote --list shows them). Nothing was changed.');
	const target = parseTarget(options.to);
	if (options.dryRun) {
		await session.transport.connect(signal);
		const plan = await planPromotion(world, steps, branch, target, signal);
		if (options.json) {
			out(JSON.stringify(plan, null, 2));
			return 0;
		}
		out(bold(`Dry run: promote ${branch} to ${target} on ${hostsLabel(session)} (nothing is run)`));
		for (const note of plan.notes) out(dim(`  · ${note}`));
		plan.steps.forEach((s, i) => {
			out('');
			out(bold(`${i + 1}. ${s.title}`));
			for (const c of s.commands) out(`   $ ${c}`);
		});
		return 0;
	}
	if (session.readOnly) throw new OpsError('usage', 'This session is read-only: a promotion changes git and containers and was refused.', {untouched: 'Nothing was changed.', hint: 'Run without --read-only, or use --dry-run to see the plan.'});
	const production = session.profile.environments.production.container;
	if (target === 'production' && !options.yesIKnow) {
		throw new OpsError('usage', `Promoting to PRODUCTION (${production}) needs --yes-i-know.`, {untouched: 'Nothing was changed.', hint: 'Try --dry-run first to see every step.'});
	}
	await session.transport.connect(signal);
	const started = startOrResume(store, key, branch, target);
	const journal = started.journal;
	out(bold(`${started.resumed ? 'Resuming' : 'Promoting'} ${branch} to ${target} on ${hostsLabel(session)} (promotion ${journal.id})`));
	const ids = journal.steps.map(s => s.id);
	const titles = new Map(steps.map(s => [s.id, s.title]));
	const begun = new Map<string, number>();
	let lastProgress = '';
	const result = await runPromotion({
		world, store, steps, started, signal,
		options: {
			ciTimeoutMs: (options.ciTimeout ?? 20 * 60) * 1000,
			...(options.healthTimeout ? {healthTimeoutMs: options.healthTimeout * 1000} : {}),
			confirmGate: async review => {
				out(`  production (${review.container}) receives ${review.commits.length} commit(s) up to ${review.stagingCommit.slice(0, 12)}:`);
				for (const c of review.commits.slice(0, 20)) out(dim(`    ${c.sha.slice(0, 7)} ${c.subject}`));
				if (review.diffstat) for (const l of review.diffstat.split('\n').slice(-1)) out(dim(`   ${l}`));
				out(`  confirmed by --yes-i-know`);
				return Boolean(options.yesIKnow);
			},
		},
		onEvent: event => {
			if (event.type === 'note') out(dim(`  ${event.message}`));
			else if (event.type === 'progress') {
				if (event.message !== lastProgress) out(dim(`    ${event.message}`));
				lastProgress = event.message;
			} else if (event.type === 'step') {
				const n = `[${ids.indexOf(event.step.id) + 1}/${ids.length}]`;
				const title = titles.get(event.step.id) ?? event.step.id;
				if (event.step.status === 'running') {
					begun.set(event.step.id, Date.now());
					out(`${n} ${title}${event.step.detail ? dim(` (${event.step.detail})`) : ''}`);
				} else {
					const took = seconds(Date.now() - (begun.get(event.step.id) ?? Date.now()));
					if (event.step.status === 'done') out(`    ${green('ok')} ${dim(took)} ${event.step.detail ?? ''}`);
					else if (event.step.status === 'failed') out(`    ${red('FAILED')} ${dim(took)} ${event.step.error?.join(' ') ?? ''}`);
					else out(`    ${yellow('interrupted')} ${dim(took)}`);
				}
			}
		},
	});
	out('');
	if (result.status === 'done') {
		out(green(`Promotion done: ${branch} is in ${target}.`));
		for (const l of summary(result)) out(dim(`  ${l}`));
		return 0;
	}
	if (result.status === 'interrupted') {
		for (const l of result.reason ?? []) process.stderr.write(`jutsu-ops: ${l}\n`);
		return 130;
	}
	const [first, second] = result.reason ?? ['The promotion failed.'];
	process.stderr.write(`jutsu-ops: Promotion ${result.status} at ${result.steps.find(s => s.status === 'failed')?.id ?? '?'}: ${first}\n`);
	if (second) process.stderr.write(`jutsu-ops: ${second}\n`);
	return result.status === 'aborted' ? 2 : 1;
}
