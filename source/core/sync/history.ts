/** Past sync runs, read from the end of the sync log (the seed's format, also written by the safe script). */
import type {Profile} from '../config/schema.js';
import {OpsError} from '../errors.js';
import {sh} from '../quote.js';
import type {Transport} from '../transport/types.js';
import {parseSyncLog, type SyncRun} from './log.js';

export interface HistoryEntry {
	startedAt: number;
	endedAt?: number;
	durationMs?: number;
	status: SyncRun['status'];
	tables: {table: string; rows?: number}[];
	rows: number;
	error?: string;
}

export function toHistory(runs: readonly SyncRun[]): HistoryEntry[] {
	return runs.map(run => ({
		startedAt: run.startedAt,
		...(run.endedAt === undefined ? {} : {endedAt: run.endedAt, durationMs: run.endedAt - run.startedAt}),
		status: run.status,
		tables: run.tables.map(t => ({table: t.table, ...(t.rows === undefined ? {} : {rows: t.rows})})),
		rows: run.tables.reduce((sum, t) => sum + (t.rows ?? 0), 0),
		...(run.error ? {error: run.error} : {}),
	})).reverse();
}

/** The last `maxBytes` of the sync log, parsed; newest run first. */
export async function readHistory(transport: Transport, profile: Profile, signal?: AbortSignal, maxBytes = 512 * 1024): Promise<HistoryEntry[]> {
	const result = await transport.exec(sh`L=${profile.sync.log}; [ -f "$L" ] || { echo missing; exit 0; }; echo present; tail -c ${maxBytes} "$L"`, {signal});
	if (result.code !== 0) throw new OpsError('remote', `Could not read the sync log ${profile.sync.log}.`, {hint: result.stderr.trim().split('\n')[0] ?? ''});
	if (result.stdout.startsWith('missing')) return [];
	let text = result.stdout.slice('present\n'.length);
	// a cut first line is not a log line
	if (text.length >= maxBytes) text = text.slice(text.indexOf('\n') + 1);
	return toHistory(parseSyncLog(text, profile.sync.timezone));
}
