import type {SetupReport, StepReport} from '../../source/core/setup/staging.js';

/**
 * A host where the branch exists and CI builds :staging, but the database, container and sync are missing.
 * The real run fails at the container step the first time (port taken), and completes the second time.
 */
export function fakeSetup() {
	let runs = 0;
	const calls: string[] = [];
	const base = (): StepReport[] => [
		{id: 'branch', title: 'Branch staging on origin, from main', outcome: 'done-before', detail: 'origin/staging is at 0123456789ab', preview: []},
		{id: 'ci', title: 'CI builds :staging from staging', outcome: 'done-before', detail: 'staging → :staging', preview: []},
		{id: 'database', title: 'Database jutsu_labs_staging', outcome: 'would-run', detail: 'jutsu_labs_staging does not exist', preview: ['CREATE DATABASE "jutsu_labs_staging" WITH OWNER "jutsu" TEMPLATE template0 ENCODING \'UTF8\'']},
		{id: 'container', title: 'Container jutsu-labs-staging', outcome: 'would-run', detail: 'jutsu-labs-staging does not exist', preview: ['env overrides: ENVIRONMENT=staging SECRET_KEY=<openssl rand -hex 32 on the host, never shown>']},
		{id: 'sync', title: 'Safe sync script', outcome: 'would-run', detail: 'script missing', preview: ['install the safe sync script']},
		{id: 'safety', title: 'Safety checks', outcome: 'would-run', detail: 'always run last (read-only)', preview: []},
	];
	const fn = async (options: {dryRun: boolean}, listeners: {onStep?: (s: StepReport) => void; confirm?: (s: StepReport) => Promise<boolean>}, _signal: AbortSignal): Promise<SetupReport> => {
		calls.push(options.dryRun ? 'dry-run' : 'run');
		const steps = base();
		if (!options.dryRun && listeners.confirm) {
			// as the real runner: each step to do is asked before it runs; no stops the run there
			for (const [i, step] of steps.entries()) {
				if (step.outcome !== 'would-run' || (runs > 0 && step.id === 'database')) continue;
				calls.push(`asked ${step.id}`);
				if (!(await listeners.confirm(step))) {
					steps[i] = {...step, outcome: 'declined'};
					for (const later of steps.slice(i + 1)) later.outcome = 'not-reached';
					for (const s of steps) if (s.outcome !== 'not-reached') listeners.onStep?.(s);
					return {ok: false, dryRun: false, steps};
				}
				if (step.id === 'container' && runs === 0) break;
			}
		}
		if (!options.dryRun) {
			runs++;
			steps[2] = {...steps[2]!, outcome: runs > 1 ? 'done-before' : 'ran', detail: runs > 1 ? 'jutsu_labs_staging exists with 6 tables' : 'created jutsu_labs_staging and applied production\'s schema'};
			if (runs === 1) {
				steps[3] = {...steps[3]!, outcome: 'failed', detail: 'Creating jutsu-labs-staging failed (exit 8): port 8002 is already allocated'};
				steps[4] = {...steps[4]!, outcome: 'not-reached', detail: ''};
				steps[5] = {...steps[5]!, outcome: 'not-reached', detail: ''};
			} else {
				steps[3] = {...steps[3]!, outcome: 'ran', detail: 'created jutsu-labs-staging; healthy', durationMs: 4700};
				steps[4] = {...steps[4]!, outcome: 'ran', detail: 'installed the safe script; ran the first sync (verified)'};
				steps[5] = {...steps[5]!, outcome: 'ran', detail: '22 pass, 0 warn, 2 skip, 0 fail'};
			}
		}
		for (const s of steps) if (s.outcome !== 'not-reached') listeners.onStep?.(s);
		const ok = steps.every(s => s.outcome !== 'failed');
		return {ok, dryRun: options.dryRun, steps, ...(!options.dryRun && ok ? {safety: {checks: [], summary: {pass: 22, warn: 0, fail: 0, skip: 2}, durationMs: 4300, ok: true} as never} : {})};
	};
	return Object.assign(fn, {calls});
}
