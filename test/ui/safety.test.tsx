import {render} from 'ink-testing-library';
import {describe, expect, it, vi} from 'vitest';
import {App} from '../../source/app.js';
import {runSafety} from '../../source/core/safety/runner.js';
import type {CheckState, SafetyOptions} from '../../source/core/safety/types.js';
import {fakeServices, tick} from '../support/fixtures.js';
import {FAKE_SECRETS, fakeInputs, productionContainer, stagingContainer, stagingEnv} from '../support/safety-fakes.js';

const DOWN = '\u001B[B';

/** Wait until the frame satisfies `ok` (the fake run evaluates a year of cron runs: ~0.1-0.2 s of CPU). */
async function until(frame: () => string | undefined, ok: (f: string) => boolean, attempts = 100): Promise<string> {
	for (let i = 0; i < attempts; i++) {
		const f = frame() ?? '';
		if (ok(f)) return f;
		await tick(30);
	}
	return frame() ?? '';
}
const finished = (f: string) => /(OK|FAILED): \d+ passed/u.test(f);

async function mount(overrides = {}, screen = 'safety', settle = true) {
	const onQuit = vi.fn();
	const services = fakeServices(overrides);
	const view = render(<App services={services} onQuit={onQuit} initialScreen={screen} />);
	await tick(60);
	if (screen === 'safety' && settle) await until(view.lastFrame, f => finished(f) || f.includes('Lost the connection'));
	return {...view, onQuit, services};
}

/** A world where staging runs with production's SECRET_KEY. */
const withSharedSecret = (options: SafetyOptions, onUpdate: (id: string, s: CheckState) => void, signal: AbortSignal) => runSafety(
	fakeInputs({containers: [productionContainer(), stagingContainer({}, stagingEnv({SECRET_KEY: FAKE_SECRETS[1]!}))]}),
	{...options, restartSampleMs: 0}, onUpdate, signal,
);

describe('the header\'s safety badge', () => {
	it('is there from the start on any screen: the checks run once in the background when the console opens', async () => {
		const failing = await mount({runSafety: withSharedSecret}, 'containers', false);
		await until(failing.lastFrame, f => f.includes('SAFETY CHECK FAILED'));
		expect(failing.lastFrame()).toContain('SAFETY CHECK FAILED');
		expect(failing.lastFrame()).toContain('Containers · ? help');
		failing.unmount();
		const passing = await mount({}, 'containers', false);
		await tick(300);
		expect(passing.lastFrame()).toMatch(/jutsu-labs\s+production/u);
		expect(passing.lastFrame()).not.toContain('SAFETY CHECK FAILED');
		passing.unmount();
	});
});

describe('Safety screen', () => {
	it('runs the checks on open, grouped, with a summary line; no warning badge when nothing failed', async () => {
		const {lastFrame, unmount} = await mount();
		const frame = lastFrame()!;
		expect(frame).toContain('Git and CI');
		expect(frame).toContain('Staging container');
		expect(frame).toMatch(/OK: \d+ passed, 0 warnings, 0 failed, 2 skipped/u);
		expect(frame).toContain('✓');
		expect(frame).not.toContain('SAFETY CHECK FAILED');
		unmount();
	});

	it('shows a spinner per running check while they run', async () => {
		let release: () => void = () => undefined;
		const gate = new Promise<void>(resolve => {
			release = resolve;
		});
		const {lastFrame, unmount} = await mount({
			async runSafety(options: SafetyOptions, onUpdate: (id: string, s: CheckState) => void, signal: AbortSignal) {
				const inputs = fakeInputs();
				const slow = inputs.listContainers.bind(inputs);
				inputs.listContainers = async s => {
					await gate;
					return slow(s);
				};
				return runSafety(inputs, {...options, restartSampleMs: 0}, onUpdate, signal);
			},
		}, 'safety', false);
		expect(lastFrame()).toMatch(/running \d+ checks… \d+ done/u);
		expect(lastFrame()).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/u);
		release();
		await until(lastFrame, finished);
		expect(lastFrame()).toMatch(/OK: \d+ passed/u);
		unmount();
	});

	it('selects a check with j/k and shows its detail and remedy; a failure puts the badge in the header', async () => {
		const {lastFrame, stdin, unmount} = await mount({runSafety: withSharedSecret});
		expect(lastFrame()).toContain('SAFETY CHECK FAILED');
		expect(lastFrame()).toMatch(/FAILED: \d+ passed, 0 warnings, 1 failed/u);
		// the first check is selected: its detail shows
		expect(lastFrame()).toContain('PASS Branch staging exists on the remote');
		let found = false;
		for (let i = 0; i < 30 && !found; i++) {
			stdin.write('j');
			await tick(20);
			found = lastFrame()!.includes('FAIL SECRET_KEY is set and differs');
		}
		expect(found).toBe(true);
		expect(lastFrame()).toContain('equals production\'s (compared by hash)');
		expect(lastFrame()).toContain('→ Generate a new one for staging');
		stdin.write('k');
		await tick(30);
		expect(lastFrame()).not.toContain('FAIL SECRET_KEY');
		stdin.write(DOWN);
		await tick(30);
		expect(lastFrame()).toContain('FAIL SECRET_KEY');
		for (const secret of FAKE_SECRETS) expect(lastFrame()).not.toContain(secret);
		unmount();
	});

	it('re-runs with r; the badge goes once a re-run passes, and stays while on another screen', async () => {
		let broken = true;
		const services = {
			runSafety: (o: SafetyOptions, u: (id: string, s: CheckState) => void, s: AbortSignal) => (broken ? withSharedSecret(o, u, s) : runSafety(fakeInputs(), {...o, restartSampleMs: 0}, u, s)),
		};
		const {lastFrame, stdin, unmount} = await mount(services);
		expect(lastFrame()).toContain('SAFETY CHECK FAILED');
		stdin.write('3');
		await tick(60);
		expect(lastFrame()).toContain('SAFETY CHECK FAILED');
		expect(lastFrame()).toContain('of 4 containers');
		stdin.write('2');
		await until(lastFrame, finished);
		broken = false;
		stdin.write('r');
		await until(lastFrame, f => finished(f) && !f.includes('SAFETY CHECK FAILED'));
		expect(lastFrame()).not.toContain('SAFETY CHECK FAILED');
		expect(lastFrame()).toMatch(/OK: \d+ passed, 0 warnings, 0 failed/u);
		unmount();
	});

	it('runs the live-trading probe only after T and y; never in read-only mode', async () => {
		const calls: SafetyOptions[] = [];
		const spy = (o: SafetyOptions, u: (id: string, s: CheckState) => void, s: AbortSignal) => {
			calls.push(o);
			return runSafety(fakeInputs(), {...o, restartSampleMs: 0}, u, s);
		};
		const {lastFrame, stdin, unmount} = await mount({runSafety: spy});
		expect(calls.map(c => c.probeTrading)).toEqual([false]);
		stdin.write('T');
		await tick(40);
		expect(lastFrame()).toContain('It must be refused. y to send');
		stdin.write('n');
		await tick(40);
		expect(calls).toHaveLength(1);
		stdin.write('T');
		await tick(40);
		stdin.write('y');
		await until(lastFrame, f => /1 skipped/u.test(f));
		expect(calls.map(c => c.probeTrading)).toEqual([false, true]);
		expect(lastFrame()).toMatch(/OK: \d+ passed, 0 warnings, 0 failed, 1 skipped/u);
		unmount();
		const ro = await mount({runSafety: spy, readOnly: true});
		calls.length = 0;
		ro.stdin.write('T');
		await tick(60);
		expect(ro.lastFrame()).not.toContain('y to send');
		expect(calls).toHaveLength(0);
		ro.unmount();
	});

	it('shows a run that could not start as words, not a stack', async () => {
		const {lastFrame, unmount} = await mount({
			async runSafety() {
				const {OpsError} = await import('../../source/core/errors.js');
				throw new OpsError('connection', 'Lost the connection to root@tower.local:22.');
			},
		});
		expect(lastFrame()).toContain('Lost the connection to root@tower.local:22.');
		unmount();
	});

	it('is listed at the bottom with its digit', async () => {
		const {lastFrame, unmount} = await mount({}, 'containers');
		expect(lastFrame()).toContain('2 Safety');
		unmount();
	});
});
