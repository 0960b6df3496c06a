import {render} from 'ink-testing-library';
import {describe, expect, it, vi} from 'vitest';
import {App} from '../../source/app.js';
import {KEYMAP} from '../../source/ui/keymap.js';
import {fakeServices, tick} from '../support/fixtures.js';

async function mount(overrides = {}) {
	const onQuit = vi.fn();
	const services = fakeServices(overrides);
	const view = render(<App services={services} onQuit={onQuit} initialScreen="containers" />);
	// Wait for the first listing and the band it sets (several renders since the screen also checks the registry).
	for (let i = 0; i < 50 && !/PRODUCTION ·|docker is not installed/u.test(view.lastFrame() ?? ''); i++) await tick(20);
	await tick(30);
	return {...view, onQuit, services};
}

const DOWN = '\u001B[B';
const ESC = '\u001B';

describe('Containers screen', () => {
	it('lists every container with its environment, tag, health and ports; the header shows host, state and latency', async () => {
		const {lastFrame, unmount} = await mount();
		const frame = lastFrame()!;
		expect(frame).toContain('root@tower.local:22');
		expect(frame).toContain('connected');
		expect(frame).toContain('12 ms');
		expect(frame).toMatch(/jutsu-labs\s+production\s+latest\s+running\s+healthy/u);
		expect(frame).toMatch(/jutsu-labs-staging\s+staging\s+staging\s+running\s+starting/u);
		expect(frame).toContain('8002->8000');
		expect(frame).toContain('4 of 4 containers');
		expect(frame).not.toContain('topsecretvalue');
		unmount();
	});

	it('moves the selection with j and arrows, and the band names the environment in focus', async () => {
		const {lastFrame, stdin, unmount} = await mount();
		expect(lastFrame()).toContain('PRODUCTION · jutsu-labs');
		stdin.write('j');
		await tick();
		expect(lastFrame()).toContain('STAGING · jutsu-labs-staging');
		stdin.write(DOWN);
		await tick();
		expect(lastFrame()).toContain('jutsu-postgres ');
		expect(lastFrame()).not.toContain('STAGING ·');
		stdin.write('k');
		await tick();
		expect(lastFrame()).toContain('STAGING · jutsu-labs-staging');
		unmount();
	});

	it('filters rows with / and clears the filter with Esc', async () => {
		const {lastFrame, stdin, unmount} = await mount();
		stdin.write('/');
		await tick();
		stdin.write('stag');
		await tick();
		expect(lastFrame()).toContain('1 of 4 containers');
		expect(lastFrame()).toContain('filter: stag');
		stdin.write('\r');
		await tick();
		// q typed while not editing quits; while editing it would be text. Here we are back at the table.
		stdin.write(ESC);
		await tick(80);
		expect(lastFrame()).toContain('4 of 4 containers');
		unmount();
	});

	it('treats q typed into the filter as text, not as quit', async () => {
		const {stdin, onQuit, lastFrame, unmount} = await mount();
		stdin.write('/');
		await tick();
		stdin.write('q');
		await tick();
		expect(onQuit).not.toHaveBeenCalled();
		expect(lastFrame()).toContain('filter: q');
		unmount();
	});

	it('shows help generated from the keymap with ? (global keys and this screen\'s), and hides it again', async () => {
		const {lastFrame, stdin, unmount} = await mount();
		stdin.write('?');
		await tick();
		let seen = '';
		for (let i = 0; i < 40; i++) {
			seen += lastFrame()!;
			stdin.write('j');
			await tick(20);
		}
		expect(seen).toContain('Keys on Containers');
		for (const binding of KEYMAP.filter(b => b.scope === 'global' || b.scope === 'containers' || b.scope === 'filter')) expect(seen).toContain(binding.description);
		expect(seen).not.toContain(KEYMAP.find(b => b.scope === 'sync')!.description);
		stdin.write('?');
		await tick();
		expect(lastFrame()).not.toContain('Keys on Containers');
		expect(lastFrame()).toContain('4 of 4 containers');
		unmount();
	});

	it('quits with q (exit 0) and Ctrl-C (exit 130)', async () => {
		const a = await mount();
		a.stdin.write('q');
		await tick();
		expect(a.onQuit).toHaveBeenCalledWith(0);
		a.unmount();
		const b = await mount();
		b.stdin.write('\u0003');
		await tick();
		expect(b.onQuit).toHaveBeenCalledWith(130);
		b.unmount();
	});

	it('refreshes when Docker reports a change, and shows a listing error in words', async () => {
		let notify: () => void = () => undefined;
		const {services, unmount} = await mount({
			watchContainers: async (onChange: () => void, signal: AbortSignal) => {
				notify = onChange;
				await new Promise<void>(resolve => signal.addEventListener('abort', () => resolve(), {once: true}));
			},
		});
		const before = services.listCalls;
		notify();
		await tick(400);
		expect(services.listCalls).toBe(before + 1);
		unmount();
		const failing = await mount({listContainers: async () => {
			const {OpsError} = await import('../../source/core/errors.js');
			throw new OpsError('missing-tool', 'docker is not installed on root@tower.local:22.');
		}});
		expect(failing.lastFrame()).toContain('docker is not installed');
		failing.unmount();
	});
});
