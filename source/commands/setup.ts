import {bold, dim, green, red, yellow} from '../core/color.js';
import {OpsError} from '../core/errors.js';
import {ask, canPrompt} from '../core/prompt.js';
import type {Session} from '../core/session.js';
import {setupStaging, type StepReport} from '../core/setup/staging.js';

export interface SetupCommandOptions {
	dryRun: boolean;
	yes: boolean;
	json: boolean;
	ciTimeoutSeconds?: number;
}

const MARK: Record<StepReport['outcome'], string> = {'done-before': 'done', ran: 'ran', 'would-run': 'would run', failed: 'FAILED', 'not-reached': 'not reached', declined: 'declined'};

function paint(r: StepReport): string {
	const label = MARK[r.outcome].padEnd(11);
	return r.outcome === 'failed' ? red(label) : r.outcome === 'ran' || r.outcome === 'done-before' ? green(label) : yellow(label);
}

/** `jutsu-ops setup staging [--dry-run] [--yes]`: the staging environment from production, step by step. */
export async function setupCommand(session: Session, target: string, options: SetupCommandOptions, signal: AbortSignal): Promise<number> {
	if (target !== 'staging') throw new OpsError('usage', `Only "setup staging" exists (not "${target}"). Nothing was changed.`);
	const interactive = canPrompt() && !options.yes && !options.json;
	if (!options.dryRun && !options.yes && !interactive) {
		throw new OpsError('usage', 'setup staging changes the host: confirm each step on a terminal, or pass --yes (or --dry-run to see the steps).', {hint: 'Nothing was changed.'});
	}
	const log = (line: string) => (options.json ? process.stderr : process.stdout).write(`${line}\n`);
	await session.transport.connect(signal);
	const report = await setupStaging(session, {
		dryRun: options.dryRun, signal,
		...(options.ciTimeoutSeconds ? {ciTimeoutMs: options.ciTimeoutSeconds * 1000} : {}),
		onProgress: message => log(dim(`    … ${message}`)),
		onStep: r => {
			log(`${paint(r)} ${bold(r.title)}${r.durationMs === undefined ? '' : dim(` ${(r.durationMs / 1000).toFixed(1)} s`)}`);
			log(`            ${r.detail}`);
			if (r.outcome === 'would-run') for (const line of r.preview) log(dim(`            $ ${line}`));
		},
		...(interactive ? {confirm: async (r: StepReport) => {
			log(`${bold(r.title)}: ${r.detail}`);
			for (const line of r.preview) log(dim(`    $ ${line}`));
			return /^y(es)?$/iu.test(await ask('Run this step? [y/N] '));
		}} : {}),
	});
	const notReached = report.steps.filter(s => s.outcome === 'not-reached');
	if (notReached.length > 0) log(yellow(`Not done: ${notReached.map(s => s.id).join(', ')}. Run setup staging again to continue (done steps are skipped).`));
	if (report.dryRun) log(yellow('Dry run: nothing was changed.'));
	if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
	return report.ok ? 0 : 1;
}
