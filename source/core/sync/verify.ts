/**
 * Proof of what a sync did: each synced table has production's rows in staging (count + order-independent
 * checksum), and every staging table that is not synced is exactly as it was before the run.
 * Production is opened read-only (default_transaction_read_only); nothing here writes anywhere.
 */
import type {Profile} from '../config/schema.js';
import {countAndChecksum, type DbHandle, openDb, resolveDbPassword} from '../db/pg.js';
import {sh} from '../quote.js';
import type {Transport} from '../transport/types.js';

export interface TableSum {
	rows: number;
	checksum: string;
}

export type StagingSnapshot = Record<string, TableSum>;

export interface SyncedTableCheck {
	table: string;
	production?: TableSum;
	staging?: TableSum;
	equal: boolean;
	error?: string;
}

export interface UnchangedTableCheck {
	table: string;
	before?: TableSum;
	after?: TableSum;
	equal: boolean;
}

export interface VerifyReport {
	ok: boolean;
	synced: SyncedTableCheck[];
	/** Empty when no snapshot from before the run was available. */
	unchanged: UnchangedTableCheck[];
	durationMs: number;
}

export interface DbPair {
	production: DbHandle;
	staging: DbHandle;
	close(): Promise<void>;
}

/** Both sessions read-only: verify never writes, and production never is written by jutsu-ops. */
export async function openPair(transport: Transport, profile: Profile, signal?: AbortSignal): Promise<DbPair> {
	const password = await resolveDbPassword(transport, profile, profile.environments.production.database, signal);
	const production = await openDb(transport, profile, profile.environments.production.database, {readOnly: true, password, ...(signal ? {signal} : {})});
	try {
		const staging = await openDb(transport, profile, profile.environments.staging.database, {readOnly: true, password, ...(signal ? {signal} : {})});
		return {production, staging, close: async () => {
			await production.close();
			await staging.close();
		}};
	} catch (error) {
		await production.close();
		throw error;
	}
}

export async function publicTables(db: DbHandle): Promise<string[]> {
	const rows = await db.query<{tablename: string}>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`);
	return rows.map(r => r.tablename);
}

/** Count + checksum of every staging table that the sync does not touch. */
export async function snapshotStaging(staging: DbHandle, syncedTables: readonly string[]): Promise<StagingSnapshot> {
	const out: StagingSnapshot = {};
	for (const table of await publicTables(staging)) {
		if (syncedTables.includes(table)) continue;
		out[table] = await countAndChecksum(staging, table);
	}
	return out;
}

export async function verifySync(pair: DbPair, tables: readonly string[], before?: StagingSnapshot): Promise<VerifyReport> {
	const started = Date.now();
	const synced: SyncedTableCheck[] = [];
	for (const table of tables) {
		try {
			const [production, staging] = await Promise.all([countAndChecksum(pair.production, table), countAndChecksum(pair.staging, table)]);
			synced.push({table, production, staging, equal: production.rows === staging.rows && production.checksum === staging.checksum});
		} catch (error) {
			synced.push({table, equal: false, error: error instanceof Error ? error.message.split('\n')[0]! : String(error)});
		}
	}
	const unchanged: UnchangedTableCheck[] = [];
	if (before) {
		const after = await snapshotStaging(pair.staging, tables);
		for (const table of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
			const b = before[table];
			const a = after[table];
			unchanged.push({table, ...(b ? {before: b} : {}), ...(a ? {after: a} : {}), equal: Boolean(a && b && a.rows === b.rows && a.checksum === b.checksum)});
		}
	}
	return {ok: synced.every(s => s.equal) && unchanged.every(u => u.equal), synced, unchanged, durationMs: Date.now() - started};
}

/** Keep the pre-run snapshot on the host next to the run, so `sync verify` can compare later. */
export async function saveSnapshot(transport: Transport, runsDir: string, runId: string, snapshot: StagingSnapshot, signal?: AbortSignal): Promise<void> {
	await transport.exec(sh`cat > ${`${runsDir}/${runId}.before.json`}`, {signal, stdin: JSON.stringify(snapshot), quiet: true});
}

/** The snapshot taken before the most recent finished run started by jutsu-ops, if any. */
export async function lastSnapshot(transport: Transport, runsDir: string, signal?: AbortSignal): Promise<{runId: string; snapshot: StagingSnapshot} | undefined> {
	const result = await transport.exec(sh`D=${runsDir}
for f in $(ls -1t "$D"/*.before.json 2>/dev/null); do r="\${f%.before.json}"; [ -s "$r.exit" ] || continue; echo "run=$(basename "$r")"; cat "$f"; exit 0; done`, {signal});
	const m = /^run=(\S+)\n([^]*)$/u.exec(result.stdout);
	if (!m) return undefined;
	try {
		return {runId: m[1]!, snapshot: JSON.parse(m[2]!) as StagingSnapshot};
	} catch {
		return undefined;
	}
}
