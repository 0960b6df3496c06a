import {render} from 'ink-testing-library';
import {describe, expect, it, vi} from 'vitest';
import {App} from '../../source/app.js';
import {fakeServices, tick} from '../support/fixtures.js';
import {fakeSetup} from '../support/setup-fakes.js';

async function mount(options: {readOnly?: boolean} = {}) {
	const setup = fakeSetup();
	const services = fakeServices({setup, ...(options.readOnly ? {readOnly: true} : {})});
	const view = render(<App services={services} onQuit={vi.fn()} />);
	await tick(60);
	view.stdin.write('9');
	await tick(120);
	return {...view, setup};
}

describe('Setup screen', () => {
	it('opens with 9 on a dry run: done steps, and for each step to do what it would run', async () => {
		const {lastFrame, setup, unmount} = await mount();
		const frame = lastFrame()!;
		expect(setup.calls).toEqual(['dry-run']);
		expect(frame).toContain('4 step(s) to do (dry run: nothing was changed)');
		expect(frame).toMatch(/done\s+1\. Branch staging on origin, from main/u);
		expect(frame).toMatch(/to do\s+3\. Database jutsu_labs_staging/u);
		expect(frame).toContain('$ CREATE DATABASE "jutsu_labs_staging"');
		expect(frame.replace(/\s+/gu, ' ')).toContain('SECRET_KEY=<openssl rand -hex 32 on the host, never shown>');
		unmount();
	});

	it('S asks first; any key but y cancels; y runs; a failed step says so and what was not reached; S again completes', async () => {
		const {lastFrame, stdin, setup, unmount} = await mount();
		stdin.write('S');
		await tick(60);
		expect(lastFrame()).toContain('y to run, any other key cancels');
		stdin.write('n');
		await tick(60);
		expect(setup.calls).toEqual(['dry-run']);
		stdin.write('S');
		await tick(60);
		stdin.write('y');
		await tick(150);
		expect(setup.calls).toEqual(['dry-run', 'run']);
		let frame = lastFrame()!;
		expect(frame).toContain('setup stopped: run it again to continue from the failed step');
		expect(frame).toMatch(/FAILED\s+4\. Container jutsu-labs-staging/u);
		expect(frame).toContain('port 8002 is already allocated');
		expect(frame).toMatch(/not reached\s+5\. Safe sync script/u);
		stdin.write('S');
		await tick(60);
		stdin.write('y');
		await tick(150);
		frame = lastFrame()!;
		expect(frame).toContain('staging is set up');
		expect(frame).toMatch(/done\s+3\. Database jutsu_labs_staging/u);
		expect(frame).toMatch(/ran\s+4\. Container jutsu-labs-staging/u);
		expect(frame).toContain('Safety: 22 pass, 0 warn, 0 fail, 2 skip');
		unmount();
	});

	it('--read-only: S does nothing and is not offered', async () => {
		const {lastFrame, stdin, setup, unmount} = await mount({readOnly: true});
		expect(lastFrame()).not.toContain('S run the steps');
		stdin.write('S');
		await tick(80);
		expect(lastFrame()).not.toContain('y to run');
		expect(setup.calls).toEqual(['dry-run']);
		unmount();
	});
});
