import type {DatabaseReport, DbSnapshot} from '../../source/core/db/inspect.js';
import {diffDatabases, mergeRows, migrationHint} from '../../source/core/db/inspect.js';
import {parseProfile} from '../../source/core/config/load.js';
import {SEED_PROFILE} from '../../source/core/config/schema.js';

const col = (table: string, column: string, type = 'integer', nullable = false) => ({table, column, type, nullable});

/** Production has a column (market_data.adjusted_close) staging lacks; staging has backtest_annotations of its own. */
export function fakeSnapshots(exact: boolean): {production: DbSnapshot; staging: DbSnapshot} {
	const withExact = (rows: number, estimate: number | undefined) => (exact ? {exact: rows, checksum: String(rows * 7)} : {}) && {...(estimate === undefined ? {} : {estimate}), ...(exact ? {exact: rows, checksum: String(rows * 7)} : {})};
	const production: DbSnapshot = {
		database: 'jutsu_labs',
		tables: [
			{table: 'market_data', bytes: 3_250_000, ...withExact(20000, 19876)},
			{table: 'positions', bytes: 49_152, ...withExact(3, undefined)},
		],
		columns: [col('market_data', 'id'), col('market_data', 'close', 'numeric'), col('market_data', 'adjusted_close', 'numeric', true), col('positions', 'id')],
		indexes: [{table: 'market_data', name: 'market_data_pkey', definition: 'CREATE UNIQUE INDEX market_data_pkey ON public.market_data USING btree (id)'}],
		constraints: [{table: 'market_data', name: 'market_data_pkey', type: 'p', definition: 'PRIMARY KEY (id)'}],
	};
	const staging: DbSnapshot = {
		database: 'jutsu_labs_staging',
		tables: [
			{table: 'market_data', bytes: 434_176, ...withExact(2096, 2096)},
			{table: 'positions', bytes: 49_152, ...withExact(2, undefined)},
			{table: 'backtest_annotations', bytes: 32_768, ...withExact(4, 4)},
		],
		columns: [col('market_data', 'id'), col('market_data', 'close', 'numeric'), col('positions', 'id'), col('backtest_annotations', 'id')],
		indexes: [{table: 'market_data', name: 'market_data_pkey', definition: 'CREATE UNIQUE INDEX market_data_pkey ON public.market_data USING btree (id)'}],
		constraints: [{table: 'market_data', name: 'market_data_pkey', type: 'p', definition: 'PRIMARY KEY (id)'}],
	};
	return {production, staging};
}

export function fakeDatabaseReport(exact: boolean): DatabaseReport {
	const profile = parseProfile(SEED_PROFILE, 'test');
	const {production, staging} = fakeSnapshots(exact);
	const last = {startedAt: Date.parse('2026-12-04T07:00:00Z'), status: 'success' as const, tables: [], rows: 20000};
	return {
		production, staging, exact,
		rows: mergeRows(profile, production, staging),
		differences: diffDatabases(production, staging),
		migrationHint: migrationHint(profile),
		lastSync: last, lastSuccess: last,
	};
}
