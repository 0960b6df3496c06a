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

	it('S runs one step at a time: each step to do is shown with its preview and asked; n stops there; a failed step says what was not reached; S again continues', async () => {
		const {lastFrame, stdin, setup, unmount} = await mount();
		const until = async (text: string) => {
			for (let i = 0; i < 50 && !lastFrame()!.includes(text); i++) await tick(20);
			expect(lastFrame()).toContain(text);
		};
		stdin.write('S');
		await until('Next: Database jutsu_labs_staging');
		expect(lastFrame()).toContain('$ CREATE DATABASE "jutsu_labs_staging"');
		expect(lastFrame()).toContain('Run this step? y runs it, any other key stops here');
		stdin.write('n');
		await until('setup stopped');
		expect(lastFrame()).toMatch(/declined\s+3\. Database jutsu_labs_staging/u);
		expect(lastFrame()).toMatch(/not reached\s+4\. Container jutsu-labs-staging/u);
		expect(setup.calls).toEqual(['dry-run', 'run', 'asked database']);

		stdin.write('S');
		await until('Next: Database jutsu_labs_staging');
		stdin.write('y');
		await until('Next: Container jutsu-labs-staging');
		expect(lastFrame()!.replace(/\s+/gu, ' ')).toContain('SECRET_KEY=<openssl rand -hex 32 on the host, never shown>');
		stdin.write('y');
		await until('setup stopped: run it again to continue from the failed step');
		let frame = lastFrame()!;
		expect(frame).toMatch(/FAILED\s+4\. Container jutsu-labs-staging/u);
		expect(frame).toContain('port 8002 is already allocated');
		expect(frame).toMatch(/not reached\s+5\. Safe sync script/u);

		stdin.write('S');
		for (const next of ['Container jutsu-labs-staging', 'Safe sync script', 'Safety checks']) {
			await until(`Next: ${next}`);
			stdin.write('y');
		}
		await until('staging is set up');
		frame = lastFrame()!;
		expect(frame).toMatch(/done\s+3\. Database jutsu_labs_staging/u);
		expect(frame).toMatch(/ran\s+4\. Container jutsu-labs-staging/u);
		expect(frame).toContain('Safety: 22 pass, 0 warn, 0 fail, 2 skip');
		expect(setup.calls).toEqual(['dry-run', 'run', 'asked database', 'run', 'asked database', 'asked container', 'run', 'asked container', 'asked sync', 'asked safety']);
		unmount();
	});

	it('--read-only: S does nothing and is not offered', async () => {
		const {lastFrame, stdin, setup, unmount} = await mount({readOnly: true});
		expect(lastFrame()).not.toContain('S run the steps');
		stdin.write('S');
		await tick(80);
		expect(lastFrame()).not.toContain('Run this step?');
		expect(setup.calls).toEqual(['dry-run']);
		unmount();
	});
});
