import {existsSync, readFileSync} from 'node:fs';
import {createServer, type Server} from 'node:net';
import {homedir} from 'node:os';
import {join} from 'node:path';
import pg from 'pg';
import type {EnvironmentName, Profile} from '../config/schema.js';
import {OpsError} from '../errors.js';
import {sh} from '../quote.js';
import {scrubber} from '../secrets.js';
import type {Transport} from '../transport/types.js';

export interface DbHandle {
	database: string;
	readOnly: boolean;
	query<T extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
	close(): Promise<void>;
}

function fromPgpass(profile: Profile, database: string): string | undefined {
	const file = process.env.PGPASSFILE ?? join(homedir(), '.pgpass');
	if (!existsSync(file)) return undefined;
	for (const line of readFileSync(file, 'utf8').split('\n')) {
		if (!line || line.startsWith('#')) continue;
		const fields = line.split(/(?<!\\):/u).map(f => f.replaceAll('\\:', ':').replaceAll('\\\\', '\\'));
		if (fields.length < 5) continue;
		const [host, port, db, user, ...rest] = fields;
		const ok = (pattern: string | undefined, value: string) => pattern === '*' || pattern === value;
		if (ok(host, profile.postgres.host) && ok(port, String(profile.postgres.port)) && ok(db, database) && ok(user, profile.postgres.user)) {
			return rest.join(':');
		}
	}
	return undefined;
}

/**
 * The database password: PGPASSWORD, ~/.pgpass, or the production container's own POSTGRES_PASSWORD (read over
 * SSH). Never stored; registered with the scrubber as soon as it is known.
 */
export async function resolveDbPassword(transport: Transport, profile: Profile, database: string, signal?: AbortSignal): Promise<string> {
	const direct = process.env.PGPASSWORD ?? fromPgpass(profile, database);
	if (direct) {
		scrubber.add(direct);
		return direct;
	}
	for (const env of ['production', 'staging'] as EnvironmentName[]) {
		const name = profile.environments[env].container;
		const result = await transport.exec(sh`docker inspect --type container --format '{{range .Config.Env}}{{println .}}{{end}}' ${name}`, {signal, quiet: true});
		if (result.code !== 0) continue;
		const line = result.stdout.split('\n').find(l => l.startsWith('POSTGRES_PASSWORD='));
		if (line) {
			const value = line.slice('POSTGRES_PASSWORD='.length);
			scrubber.add(value);
			if (value) return value;
		}
	}
	throw new OpsError('config', 'No database password: PGPASSWORD, ~/.pgpass and the containers\' POSTGRES_PASSWORD are all empty. Nothing was queried.', {
		hint: 'Set PGPASSWORD for this run or add a ~/.pgpass line; the tool never stores it.',
	});
}

/** A local port that forwards each connection through the SSH connection (for postgres.via = "ssh"). */
async function tunnel(transport: Transport, host: string, port: number): Promise<{server: Server; port: number}> {
	const server = createServer(socket => {
		transport.forwardOut(host, port).then(remote => {
			socket.pipe(remote).pipe(socket);
			remote.on('error', () => socket.destroy());
			socket.on('error', () => remote.destroy());
		}, () => socket.destroy());
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	const address = server.address();
	return {server, port: typeof address === 'object' && address ? address.port : 0};
}

export interface OpenDbOptions {
	readOnly: boolean;
	signal?: AbortSignal;
	password?: string;
	connectTimeoutMs?: number;
}

/** Open a session to one database. Production sessions are read-only at the server (default_transaction_read_only). */
export async function openDb(transport: Transport, profile: Profile, database: string, options: OpenDbOptions): Promise<DbHandle> {
	const password = options.password ?? await resolveDbPassword(transport, profile, database, options.signal);
	let server: Server | undefined;
	let host = profile.postgres.host;
	let port = profile.postgres.port;
	if (profile.postgres.via === 'ssh') {
		const t = await tunnel(transport, '127.0.0.1', profile.postgres.port);
		server = t.server;
		host = '127.0.0.1';
		port = t.port;
	}
	const client = new pg.Client({
		host, port, database, password,
		user: profile.postgres.user,
		connectionTimeoutMillis: options.connectTimeoutMs ?? profile.timeouts.connectMs,
		statement_timeout: profile.timeouts.commandMs,
		application_name: 'jutsu-ops',
		...(options.readOnly ? {options: '-c default_transaction_read_only=on'} : {}),
	});
	client.on('error', () => undefined);
	try {
		await client.connect();
	} catch (error) {
		server?.close();
		throw dbError(error, database, host, port);
	}
	return {
		database,
		readOnly: options.readOnly,
		async query<T extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
			try {
				const result = await client.query(sql, params);
				return result.rows as T[];
			} catch (error) {
				throw dbError(error, database, host, port);
			}
		},
		async close() {
			await client.end().catch(() => undefined);
			server?.close();
		},
	};
}

export function dbError(error: unknown, database: string, host: string, port: number): OpsError {
	const e = error as {code?: string; message?: string};
	const message = scrubber.scrub(e.message ?? String(error)).split('\n')[0] ?? '';
	if (e.code === 'ECONNREFUSED') return new OpsError('connection', `PostgreSQL at ${host}:${port} refused the connection (is it stopped?). Nothing was changed.`, {hint: 'Start the PostgreSQL container, or check postgres.host/port (or set postgres.via to "ssh").'});
	if (e.code === '3D000') return new OpsError('failure', `The database ${database} does not exist on ${host}:${port}.`, {hint: 'Create it (jutsu-ops setup staging) or fix the profile\'s database name.'});
	if (e.code === '28P01' || e.code === '28000') return new OpsError('auth', `PostgreSQL refused the password for ${database}. Nothing was changed.`, {hint: 'Check PGPASSWORD / ~/.pgpass, or the containers\' POSTGRES_PASSWORD.'});
	if (e.code === '25006') return new OpsError('failure', `Refused a write to ${database}: the session is read-only (production is never written by jutsu-ops).`);
	if (/timeout/iu.test(message)) return new OpsError('timeout', `PostgreSQL at ${host}:${port} did not answer in time (${message}). Nothing was changed.`, {hint: 'Check the PostgreSQL container and the network path.'});
	return new OpsError('failure', `PostgreSQL error on ${database}: ${message}`);
}

export interface ColumnInfo {
	table: string;
	column: string;
	type: string;
	nullable: boolean;
}

/** Columns of every table in the public schema, in order. */
export async function listColumns(db: DbHandle): Promise<ColumnInfo[]> {
	const rows = await db.query<{table_name: string; column_name: string; data_type: string; is_nullable: string}>(
		`SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
		 WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
	);
	return rows.map(r => ({table: r.table_name, column: r.column_name, type: r.data_type, nullable: r.is_nullable === 'YES'}));
}

/** Row count and an order-independent checksum (sum of per-row md5 prefixes) of one table. */
export async function countAndChecksum(db: DbHandle, table: string): Promise<{rows: number; checksum: string}> {
	const ident = `"${table.replaceAll('"', '""')}"`;
	const [row] = await db.query<{rows: string; checksum: string | null}>(
		`SELECT count(*)::text AS rows,
		        coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint)::text, '0') AS checksum
		   FROM ${ident} AS t`,
	);
	return {rows: Number(row?.rows ?? 0), checksum: row?.checksum ?? '0'};
}
