import {zonedToEpoch} from '../time.js';

export interface SyncTableStep {
	table: string;
	startedAt: number;
	rows?: number;
	/** psql/pg_dump output lines logged for this table (errors among them). */
	output: string[];
}

export interface SyncRun {
	startedAt: number;
	endedAt?: number;
	/** success: "complete" logged; failed: a failure logged, or a later run started without this one completing; incomplete: the log ends mid-run (running, or died). */
	status: 'success' | 'failed' | 'incomplete';
	tables: SyncTableStep[];
	error?: string;
	/** Line index in the log where the run started. */
	line: number;
}

const LINE = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) - (.*)$/u;

/**
 * Parse the seed's sync log format (staging-architecture.md Task 2.3), also written by the safe script:
 * `TS - Starting staging sync`, `TS - Syncing table: T`, `TS - T: N rows synced`, `TS - Staging sync complete`,
 * and the safe script's `TS - Staging sync FAILED: reason`. Timestamps are the host's wall clock in `timeZone`.
 */
export function parseSyncLog(text: string, timeZone: string): SyncRun[] {
	const runs: SyncRun[] = [];
	let current: SyncRun | undefined;
	let table: SyncTableStep | undefined;
	text.split('\n').forEach((raw, index) => {
		const line = raw.replace(/\r$/u, '');
		const m = LINE.exec(line);
		if (!m) {
			if (table && line.trim()) table.output.push(line);
			else if (current && /ERROR|FATAL|error:/u.test(line) && !current.error) current.error = line.trim();
			return;
		}
		const at = zonedToEpoch(m[1]!, timeZone) ?? Number.NaN;
		const message = m[2]!.trim();
		if (/^Starting staging sync/iu.test(message)) {
			if (current && current.status === 'incomplete') {
				current.status = 'failed';
				current.error ??= current.tables.flatMap(t => t.output).find(l => /ERROR|FATAL|not found|denied|refused/iu.test(l))?.trim()
					?? 'the run stopped without logging completion';
			}
			current = {startedAt: at, status: 'incomplete', tables: [], line: index};
			table = undefined;
			runs.push(current);
			return;
		}
		if (!current) return;
		const syncing = /^Syncing table:\s*(\S+)/u.exec(message);
		if (syncing) {
			table = {table: syncing[1]!, startedAt: at, output: []};
			current.tables.push(table);
			return;
		}
		const synced = /^(\S+):\s*(\d+)\s+rows synced/u.exec(message);
		if (synced) {
			const step = current.tables.find(t => t.table === synced[1]) ?? {table: synced[1]!, startedAt: at, output: []};
			if (!current.tables.includes(step)) current.tables.push(step);
			step.rows = Number(synced[2]);
			table = undefined;
			return;
		}
		if (/^Staging sync complete/iu.test(message)) {
			current.status = 'success';
			current.endedAt = at;
			table = undefined;
			return;
		}
		const failed = /^Staging sync FAILED:?\s*(.*)$/iu.exec(message);
		if (failed) {
			current.status = 'failed';
			current.endedAt = at;
			current.error = failed[1] || 'failed';
			table = undefined;
		}
	});
	for (const run of runs) {
		if (run.status !== 'success' && !run.error) {
			const errorLine = run.tables.flatMap(t => t.output).find(l => /ERROR|FATAL|not found|denied/iu.test(l));
			if (errorLine) run.error = errorLine.trim();
		}
	}
	return runs;
}

export function lastSuccessfulRun(runs: readonly SyncRun[]): SyncRun | undefined {
	return [...runs].reverse().find(r => r.status === 'success');
}
