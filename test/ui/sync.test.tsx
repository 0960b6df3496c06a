import {render} from 'ink-testing-library';
import {describe, expect, it, vi} from 'vitest';
import {App} from '../../source/app.js';
import {fakeServices, tick} from '../support/fixtures.js';
import {fakeSyncServices} from '../support/sync-fakes.js';

async function mount(options: {readOnly?: boolean} = {}) {
	const sync = fakeSyncServices();
	const services = fakeServices({sync, ...(options.readOnly ? {readOnly: true} : {})});
	const view = render(<App services={services} onQuit={vi.fn()} initialScreen="sync" />);
	await tick(60);
	return {...view, sync, services};
}

describe('Sync screen', () => {
	it('shows the schedule with the next run in New York time, and the history of past runs', async () => {
		const {lastFrame, stdin, unmount} = await mount();
		expect(lastFrame()).toContain('schedule: crontab "0 2 * * *" (cron zone America/New_York)');
		expect(lastFrame()).toContain('next run 2026-12-05 02:00 EST');
		stdin.write('h');
		await tick(120);
		const frame = lastFrame()!;
		expect(frame).toMatch(/2026-12-04 02:00 EST\s+success\s+4\.0 s\s+market_data=20000/u);
		expect(frame).toMatch(/2026-12-02 02:00 EST\s+failed/u);
		expect(frame).toContain('psql: error');
		unmount();
	});

	it('streams each line as the run writes it, ticks off tables, and shows the exit code at the end', async () => {
		const {lastFrame, stdin, sync, unmount} = await mount();
		stdin.write('s');
		await tick(60);
		sync.step();
		await tick(150);
		expect(lastFrame()).toContain('Starting staging sync');
		expect(lastFrame()).not.toContain('Syncing table: market_data');
		sync.step();
		await tick(150);
		expect(lastFrame()).toContain('Syncing table: market_data');
		expect(lastFrame()).toContain('0/2 tables');
		sync.step();
		await tick(150);
		expect(lastFrame()).toMatch(/✓\s+market_data\s+20000 rows/u);
		expect(lastFrame()).toContain('1/2 tables');
		sync.step(); sync.step();
		await tick(100);
		sync.step();
		await tick(100);
		sync.step();
		await tick(150);
		expect(lastFrame()).toContain('Staging sync complete');
		expect(lastFrame()).toContain('2/2 tables');
		expect(lastFrame()).toContain('exit 0');
		unmount();
	});

	it('Esc stops a run (the fake records the abort) and the end is shown as stopped', async () => {
		const {lastFrame, stdin, sync, unmount} = await mount();
		stdin.write('s');
		await tick(60);
		sync.step();
		await tick(120);
		stdin.write('\u001B');
		await tick(200);
		expect(sync.calls).toEqual(['run', 'abort']);
		expect(lastFrame()).toContain('exit 143 (stopped)');
		unmount();
	});

	it('p shows the preflight checklist naming the table a CASCADE would empty; read-only removes the run key', async () => {
		const {lastFrame, stdin, sync, unmount} = await mount({readOnly: true});
		stdin.write('p');
		await tick(120);
		expect(lastFrame()).toContain('backtest_annotations (4 rows)');
		stdin.write('s');
		await tick(60);
		expect(sync.calls).toEqual(['preflight']);
		unmount();
	});
});
