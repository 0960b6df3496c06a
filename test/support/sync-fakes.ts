import {parseProfile} from '../../source/core/config/load.js';
import {SEED_PROFILE} from '../../source/core/config/schema.js';
import {SyncWatch} from '../../source/core/sync/live.js';
import type {SyncServices} from '../../source/core/sync/service.js';

/** A fake sync world: `run` writes the seed's log lines one by one (controlled by the test), abort stops it. */
export function fakeSyncServices(overrides: Partial<SyncServices> = {}): SyncServices & {calls: string[]; step: () => void} {
	const profile = parseProfile(SEED_PROFILE, 'seed');
	const calls: string[] = [];
	let release: (() => void) | undefined;
	const fake: SyncServices & {calls: string[]; step: () => void} = {
		calls,
		/** Let the running fake write its next line. */
		step: () => release?.(),
		newWatch: () => new SyncWatch(profile, 100),
		async run(watch, signal) {
			calls.push('run');
			watch.setPhase('running');
			watch.run = {runId: 'r1', pid: 42, startedAt: Date.now(), logOffset: 0, outFile: '/x.out', exitFile: '/x.exit'};
			const lines = [
				'2026-12-04 10:00:00 - Starting staging sync',
				'2026-12-04 10:00:00 - Syncing table: market_data',
				'2026-12-04 10:00:02 - market_data: 20000 rows synced',
				'2026-12-04 10:00:02 - Syncing table: performance_snapshots',
				'2026-12-04 10:00:03 - performance_snapshots: 90 rows synced',
				'2026-12-04 10:00:03 - Staging sync complete',
			];
			for (const line of lines) {
				await new Promise<void>((resolve, reject) => {
					release = resolve;
					signal.addEventListener('abort', () => reject(new Error('aborted')), {once: true});
				}).catch(() => undefined);
				if (signal.aborted) {
					calls.push('abort');
					watch.end = {code: 143, endedAt: Date.now(), aborted: true};
					watch.setPhase('failed');
					return;
				}
				watch.pushLine('log', line);
			}
			watch.end = {code: 0, endedAt: Date.now(), aborted: false};
			watch.setPhase('done');
		},
		async attach(watch, signal) {
			calls.push('attach');
			watch.setPhase('attached');
			watch.pushLine('log', '2026-12-04 02:00:01 - Starting staging sync');
			await new Promise<void>(resolve => signal.addEventListener('abort', () => resolve(), {once: true}));
		},
		async preflight(_signal, onResult) {
			calls.push('preflight');
			const results = [
				{id: 'script', title: 'Sync script exists and is executable', status: 'ok' as const, detail: profile.sync.script},
				{id: 'cascade', title: 'No staging table is emptied by TRUNCATE ... CASCADE', status: 'warn' as const, detail: "the script's TRUNCATE ... CASCADE would also empty backtest_annotations (4 rows)"},
			];
			for (const r of results) onResult?.(r);
			return {ok: true, results, script: {exists: true, executable: true, text: '', isSafe: false, usesCascade: true, commands: []}};
		},
		async history() {
			return [
				{startedAt: Date.UTC(2026, 11, 4, 7, 0, 1), endedAt: Date.UTC(2026, 11, 4, 7, 0, 5), durationMs: 4000, status: 'success' as const, tables: [{table: 'market_data', rows: 20000}], rows: 20000},
				{startedAt: Date.UTC(2026, 11, 2, 7, 0, 1), status: 'failed' as const, tables: [{table: 'market_data'}], rows: 0, error: 'psql: error: connection refused'},
			];
		},
		async schedule() {
			return {source: 'crontab' as const, path: 'crontab -l (root)', expression: '0 2 * * *', command: profile.sync.script, cronTimeZone: 'America/New_York',
				survivesReboot: true, isUnraid: false, nextRun: Date.UTC(2026, 11, 5, 7), entries: [], crontabAvailable: true,
				twoAm: {ok: true, checked: 365, missed: 0, dstShifted: 0, dstCaveat: false}};
		},
		async verify() {
			calls.push('verify');
			return {ok: true, synced: [{table: 'market_data', production: {rows: 20000, checksum: '1'}, staging: {rows: 20000, checksum: '1'}, equal: true}], unchanged: [], durationMs: 10};
		},
		...overrides,
	};
	return fake;
}
