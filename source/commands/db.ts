import {bold, dim, green, red, yellow} from '../core/color.js';
import {type DatabaseReport, formatBytes, formatRows, inspectDatabases} from '../core/db/inspect.js';
import {fit} from '../core/present.js';
import type {Session} from '../core/session.js';
import {formatInZone} from '../core/time.js';

const out = (line = '') => process.stdout.write(`${line}\n`);

export function formatDatabaseReport(report: DatabaseReport, timeZone: string): string[] {
	const {production, staging} = report;
	const lines: string[] = [];
	lines.push(bold(`${fit('table', 24)} ${fit('sync', 5)} ${fit(production.database, 14).padStart(14)} ${'size'.padStart(9)}  ${fit(staging.database, 20).padStart(20)} ${'size'.padStart(9)}`));
	for (const row of report.rows) {
		const same = report.exact && row.synced && row.production?.checksum !== undefined && row.production.checksum === row.staging?.checksum;
		lines.push(`${fit(row.table, 24)} ${fit(row.synced ? 'yes' : 'no', 5)} ${formatRows(row.production).padStart(14)} ${formatBytes(row.production?.bytes).padStart(9)}  ${formatRows(row.staging).padStart(20)} ${formatBytes(row.staging?.bytes).padStart(9)}${same ? green('  same data') : ''}`);
	}
	if (!report.exact) lines.push(dim('~ estimates from pg_class.reltuples; --exact counts every row'));
	for (const side of [production, staging]) if (side.error) lines.push(red(`${side.database}: ${side.error}`));
	lines.push('');
	if (report.lastSync) {
		const l = report.lastSync;
		const paint = l.status === 'success' ? green : l.status === 'failed' ? red : yellow;
		lines.push(`last sync: ${formatInZone(l.startedAt, timeZone)} ${paint(l.status)}${l.error ? dim(` (${l.error})`) : ''}`);
		if (report.lastSuccess && report.lastSuccess !== l) lines.push(`last successful sync: ${formatInZone(report.lastSuccess.startedAt, timeZone)}`);
	} else lines.push(yellow(report.syncLogError ? `last sync: unknown (${report.syncLogError})` : 'last sync: never (no runs in the sync log)'));
	lines.push('');
	if (production.error || staging.error) lines.push(dim('schema: not compared (one database could not be read)'));
	else if (report.differences.length === 0) lines.push(green('schema: staging matches production (tables, columns and types, indexes, constraints)'));
	else {
		lines.push(bold(`schema differences (${report.differences.length}):`));
		for (const d of report.differences) lines.push(`  ${d.side === 'production-only' ? red(d.side) : d.side === 'differs' ? yellow(d.side) : dim(d.side)}  ${d.kind.padEnd(10)} ${d.detail}`);
		if (report.migrationHint) lines.push(yellow(`→ ${report.migrationHint}`));
	}
	return lines;
}

/** `jutsu-ops db`: both databases side by side (read-only). Exit 1 when staging lacks part of production's schema or a side cannot be read. */
export async function dbCommand(session: Session, options: {json: boolean; exact: boolean}, signal: AbortSignal): Promise<number> {
	const report = await inspectDatabases(session.transport, session.profile, {exact: options.exact, signal});
	if (options.json) out(JSON.stringify(report, null, 2));
	else for (const line of formatDatabaseReport(report, session.profile.sync.timezone)) out(line);
	const broken = Boolean(report.production.error || report.staging.error) || report.differences.some(d => d.side !== 'staging-only');
	return broken ? 1 : 0;
}
