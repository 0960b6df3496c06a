import {render} from 'ink-testing-library';
import {describe, expect, it, vi} from 'vitest';
import {App} from '../../source/app.js';
import {fakeServices, tick} from '../support/fixtures.js';

async function mount() {
	const services = fakeServices();
	const view = render(<App services={services} onQuit={vi.fn()} />);
	await tick(60);
	view.stdin.write('7');
	await tick(120);
	return {...view, services};
}

describe('Database screen', () => {
	it('opens with 7 and shows both databases side by side with estimates, sizes, sync coverage and the last sync', async () => {
		const {lastFrame, services, unmount} = await mount();
		const frame = lastFrame()!;
		expect(services.calls).toContain('database exact=false');
		expect(frame).toMatch(/market_data\s+yes\s+~19876\s+3\.1 MB\s+~2096\s+424 kB/u);
		expect(frame).toMatch(/positions\s+no\s+\?\s+48 kB/u);
		expect(frame).toMatch(/backtest_annotations\s+no\s+-\s+-\s+~4/u);
		expect(frame).toContain('last sync: 2026-12-04 02:00 EST success');
		expect(frame).toContain('e counts every row');
		unmount();
	});

	it('names the column production has and staging lacks, with the seed\'s migration hint', async () => {
		const {lastFrame, unmount} = await mount();
		const frame = lastFrame()!;
		expect(frame).toContain('schema differences (2)');
		expect(frame).toMatch(/production-only\s+column\s+column market_data\.adjusted_close \(numeric\) is missing in jutsu_labs_st/u);
		expect(frame).toMatch(/staging-only\s+table\s+table backtest_annotations exists only/u);
		expect(frame).toContain('migrations auto-apply to staging');
		unmount();
	});

	it('e asks for exact counts and shows them without the tilde', async () => {
		const {lastFrame, stdin, services, unmount} = await mount();
		stdin.write('e');
		await tick(120);
		expect(services.calls).toContain('database exact=true');
		expect(lastFrame()).toMatch(/market_data\s+yes\s+20000\s+3\.1 MB\s+2096/u);
		expect(lastFrame()).not.toContain('e counts every row');
		unmount();
	});

	it('a database that cannot be read is named; the other side is still shown', async () => {
		const services = fakeServices({
			async database() {
				const {fakeDatabaseReport} = await import('../support/db-fakes.js');
				const report = fakeDatabaseReport(false);
				return {...report, staging: {...report.staging, tables: [], error: 'The database jutsu_labs_staging does not exist on tower.local:5423.'}, differences: [], rows: report.rows.map(r => ({table: r.table, synced: r.synced, ...(r.production ? {production: r.production} : {})}))};
			},
		});
		const {lastFrame, stdin, unmount} = render(<App services={services} onQuit={vi.fn()} initialScreen="database" />);
		await tick(120);
		expect(lastFrame()).toContain('jutsu_labs_staging: The database jutsu_labs_staging does not exist');
		expect(lastFrame()).toContain('schema: not compared');
		expect(lastFrame()).toMatch(/market_data\s+yes\s+~19876/u);
		stdin.write('?');
		await tick(60);
		expect(lastFrame()).toContain('count every row');
		unmount();
	});
});
