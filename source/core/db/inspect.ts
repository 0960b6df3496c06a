/**
 * The Database view's data: per table of production and staging, the row estimate (pg_class.reltuples, at once)
 * or the exact count (on demand), the size on disk, whether the sync covers it; the schema differences between
 * the two (tables, columns and types, indexes, constraints) with the seed's migration hint; the last sync run.
 * Both sessions are read-only (production is never written by jutsu-ops; this view writes nothing at all).
 */
import type {Profile} from '../config/schema.js';
import {describeError} from '../errors.js';
import type {HistoryEntry} from '../sync/history.js';
import {readHistory} from '../sync/history.js';
import type {Transport} from '../transport/types.js';
import {type ColumnInfo, countAndChecksum, type DbHandle, listColumns, openDb, resolveDbPassword} from './pg.js';

export interface TableStats {
	table: string;
	/** pg_class.reltuples; undefined when the table was never analysed. */
	estimate?: number;
	/** count(*), only with `exact`. */
	exact?: number;
	checksum?: string;
	bytes: number;
}

export interface IndexInfo {
	table: string;
	name: string;
	definition: string;
}

export interface ConstraintInfo {
	table: string;
	name: string;
	/** p primary key, f foreign key, u unique, c check, x exclusion */
	type: string;
	definition: string;
}

export interface DbSnapshot {
	database: string;
	tables: TableStats[];
	columns: ColumnInfo[];
	indexes: IndexInfo[];
	constraints: ConstraintInfo[];
	/** Why this side could not be read (e.g. the database does not exist); the other side is still shown. */
	error?: string;
}

export type DifferenceKind = 'table' | 'column' | 'type' | 'index' | 'constraint';

export interface SchemaDifference {
	kind: DifferenceKind;
	/** production-only: staging lacks it (a migration to apply); staging-only: extra in staging; differs: both, not equal. */
	side: 'production-only' | 'staging-only' | 'differs';
	/** table, table.column, or table:name for indexes and constraints */
	name: string;
	detail: string;
}

export interface DatabaseTableRow {
	table: string;
	synced: boolean;
	production?: TableStats;
	staging?: TableStats;
}

export interface DatabaseReport {
	production: DbSnapshot;
	staging: DbSnapshot;
	rows: DatabaseTableRow[];
	differences: SchemaDifference[];
	/** The seed's "Database Schema Migrations" advice, when staging lacks something production has. */
	migrationHint?: string;
	lastSync?: HistoryEntry;
	lastSuccess?: HistoryEntry;
	syncLogError?: string;
	exact: boolean;
}

export async function tableStats(db: DbHandle, exact: boolean): Promise<TableStats[]> {
	const rows = await db.query<{table: string; estimate: string; bytes: string}>(
		`SELECT c.relname AS table, c.reltuples::bigint::text AS estimate, pg_total_relation_size(c.oid)::text AS bytes
		   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
	);
	const out: TableStats[] = [];
	for (const r of rows) {
		const estimate = Number(r.estimate);
		const stats: TableStats = {table: r.table, bytes: Number(r.bytes), ...(estimate >= 0 ? {estimate} : {})};
		if (exact) {
			const sum = await countAndChecksum(db, r.table);
			stats.exact = sum.rows;
			stats.checksum = sum.checksum;
		}
		out.push(stats);
	}
	return out;
}

export async function listIndexes(db: DbHandle): Promise<IndexInfo[]> {
	const rows = await db.query<{tablename: string; indexname: string; indexdef: string}>(
		`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY tablename, indexname`,
	);
	return rows.map(r => ({table: r.tablename, name: r.indexname, definition: r.indexdef}));
}

export async function listConstraints(db: DbHandle): Promise<ConstraintInfo[]> {
	const rows = await db.query<{table: string; name: string; type: string; definition: string}>(
		`SELECT cl.relname AS table, co.conname AS name, co.contype::text AS type, pg_get_constraintdef(co.oid) AS definition
		   FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
		  WHERE n.nspname = 'public' ORDER BY cl.relname, co.conname`,
	);
	return rows;
}

export async function snapshot(db: DbHandle, exact: boolean): Promise<DbSnapshot> {
	const [tables, columns, indexes, constraints] = [await tableStats(db, exact), await listColumns(db), await listIndexes(db), await listConstraints(db)];
	return {database: db.database, tables, columns, indexes, constraints};
}

const CONSTRAINT_TYPES: Record<string, string> = {p: 'primary key', f: 'foreign key', u: 'unique', c: 'check', x: 'exclusion'};

/** Differences between the two schemas; indexes and constraints only for tables both sides have. */
export function diffDatabases(production: DbSnapshot, staging: DbSnapshot): SchemaDifference[] {
	const out: SchemaDifference[] = [];
	const tablesOf = (s: DbSnapshot) => new Set([...s.tables.map(t => t.table), ...s.columns.map(c => c.table)]);
	const prodTables = tablesOf(production);
	const stagTables = tablesOf(staging);
	for (const t of [...prodTables].sort()) if (!stagTables.has(t)) out.push({kind: 'table', side: 'production-only', name: t, detail: `table ${t} is missing in ${staging.database}`});
	for (const t of [...stagTables].sort()) if (!prodTables.has(t)) out.push({kind: 'table', side: 'staging-only', name: t, detail: `table ${t} exists only in ${staging.database}`});
	const both = (table: string) => prodTables.has(table) && stagTables.has(table);
	const key = (c: ColumnInfo) => `${c.table}.${c.column}`;
	const stagCols = new Map(staging.columns.map(c => [key(c), c]));
	const prodCols = new Map(production.columns.map(c => [key(c), c]));
	for (const c of production.columns) {
		if (!both(c.table)) continue;
		const theirs = stagCols.get(key(c));
		if (!theirs) out.push({kind: 'column', side: 'production-only', name: key(c), detail: `column ${key(c)} (${c.type}) is missing in ${staging.database}`});
		else if (theirs.type !== c.type || theirs.nullable !== c.nullable) {
			const describe = (x: ColumnInfo) => `${x.type}${x.nullable ? '' : ' not null'}`;
			out.push({kind: 'type', side: 'differs', name: key(c), detail: `column ${key(c)}: ${describe(c)} in ${production.database}, ${describe(theirs)} in ${staging.database}`});
		}
	}
	for (const c of staging.columns) {
		if (both(c.table) && !prodCols.has(key(c))) out.push({kind: 'column', side: 'staging-only', name: key(c), detail: `column ${key(c)} (${c.type}) exists only in ${staging.database}`});
	}
	const compare = <T extends {table: string; name: string; definition: string}>(kind: 'index' | 'constraint', prod: T[], stag: T[], label: (x: T) => string) => {
		const s = new Map(stag.map(x => [`${x.table}:${x.name}`, x]));
		const p = new Map(prod.map(x => [`${x.table}:${x.name}`, x]));
		for (const [k, x] of p) {
			if (!both(x.table)) continue;
			const theirs = s.get(k);
			if (!theirs) out.push({kind, side: 'production-only', name: k, detail: `${label(x)} ${x.name} on ${x.table} is missing in ${staging.database}: ${x.definition}`});
			else if (theirs.definition !== x.definition) out.push({kind, side: 'differs', name: k, detail: `${label(x)} ${x.name} on ${x.table} differs: ${x.definition} vs ${theirs.definition}`});
		}
		for (const [k, x] of s) if (both(x.table) && !p.has(k)) out.push({kind, side: 'staging-only', name: k, detail: `${label(x)} ${x.name} on ${x.table} exists only in ${staging.database}: ${x.definition}`});
	};
	compare('index', production.indexes, staging.indexes, () => 'index');
	compare('constraint', production.constraints, staging.constraints, c => `${CONSTRAINT_TYPES[c.type] ?? c.type} constraint`);
	// what staging lacks first (a migration to apply), then what differs, then what staging has of its own
	const order = {'production-only': 0, differs: 1, 'staging-only': 2};
	return out.map((d, i) => ({d, i})).sort((a, b) => order[a.d.side] - order[b.d.side] || a.i - b.i).map(x => x.d);
}

/** The seed's advice ("Database Schema Migrations"), with the host's psql path (Unraid has no psql of its own). */
export function migrationHint(profile: Profile): string {
	const staging = profile.environments.staging;
	const pg = profile.postgres;
	const psql = pg.container
		? `docker exec -i ${pg.container} psql -U ${pg.user} -d ${staging.database} < migrations/xyz.sql`
		: `psql -h ${pg.host} -p ${pg.port} -U ${pg.user} -d ${staging.database} -f migrations/xyz.sql`;
	return `Staging lacks production's schema changes: migrations auto-apply to staging at the staging container's next restart (${staging.container}), or run them by hand: ${psql}`;
}

export function mergeRows(profile: Profile, production: DbSnapshot, staging: DbSnapshot): DatabaseTableRow[] {
	const names = [...new Set([...production.tables.map(t => t.table), ...staging.tables.map(t => t.table)])].sort();
	return names.map(table => {
		const p = production.tables.find(t => t.table === table);
		const s = staging.tables.find(t => t.table === table);
		return {table, synced: profile.sync.tables.includes(table), ...(p ? {production: p} : {}), ...(s ? {staging: s} : {})};
	});
}

const empty = (database: string, error: unknown): DbSnapshot => ({database, tables: [], columns: [], indexes: [], constraints: [], error: describeError(error).join(' ')});

/** Read both databases (read-only) and the sync log; a side that cannot be read is reported, not thrown. */
export async function inspectDatabases(transport: Transport, profile: Profile, options: {exact?: boolean; signal?: AbortSignal} = {}): Promise<DatabaseReport> {
	const exact = Boolean(options.exact);
	const password = await resolveDbPassword(transport, profile, profile.environments.production.database, options.signal);
	const read = async (database: string): Promise<DbSnapshot> => {
		let db: DbHandle | undefined;
		try {
			db = await openDb(transport, profile, database, {readOnly: true, password, ...(options.signal ? {signal: options.signal} : {})});
			return await snapshot(db, exact);
		} catch (error) {
			return empty(database, error);
		} finally {
			await db?.close();
		}
	};
	const [production, staging] = await Promise.all([read(profile.environments.production.database), read(profile.environments.staging.database)]);
	let history: HistoryEntry[] = [];
	let syncLogError: string | undefined;
	try {
		history = await readHistory(transport, profile, options.signal);
	} catch (error) {
		syncLogError = describeError(error).join(' ');
	}
	const differences = production.error || staging.error ? [] : diffDatabases(production, staging);
	const lastSync = history[0];
	const lastSuccess = history.find(h => h.status === 'success');
	return {
		production, staging, exact,
		rows: mergeRows(profile, production, staging),
		differences,
		...(differences.some(d => d.side !== 'staging-only') ? {migrationHint: migrationHint(profile)} : {}),
		...(lastSync ? {lastSync} : {}),
		...(lastSuccess ? {lastSuccess} : {}),
		...(syncLogError ? {syncLogError} : {}),
	};
}

export function formatBytes(bytes: number | undefined): string {
	if (bytes === undefined) return '-';
	const units = ['B', 'kB', 'MB', 'GB', 'TB'];
	let v = bytes;
	let i = 0;
	while (v >= 1024 && i < units.length - 1) {
		v /= 1024;
		i++;
	}
	return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** Exact count when read, else the estimate with a tilde, else "?" (never analysed). */
export function formatRows(stats: TableStats | undefined): string {
	if (!stats) return '-';
	if (stats.exact !== undefined) return String(stats.exact);
	return stats.estimate === undefined ? '?' : `~${stats.estimate}`;
}
