import {describe, expect, it} from 'vitest';
import {parseProfile} from '../../source/core/config/load.js';
import {SEED_PROFILE} from '../../source/core/config/schema.js';
import {diffDatabases, formatBytes, formatRows, mergeRows, migrationHint} from '../../source/core/db/inspect.js';
import {fakeSnapshots} from '../support/db-fakes.js';

describe('database inspection', () => {
	it('names a production-only column, a staging-only table, and ignores what both have', () => {
		const {production, staging} = fakeSnapshots(false);
		const diff = diffDatabases(production, staging);
		expect(diff.map(d => `${d.side} ${d.kind} ${d.name}`)).toEqual([
			'production-only column market_data.adjusted_close',
			'staging-only table backtest_annotations',
		]);
	});

	it('finds type, nullability, index and constraint differences on tables both sides have', () => {
		const {production, staging} = fakeSnapshots(false);
		staging.columns = staging.columns.map(c => c.column === 'close' ? {...c, type: 'double precision'} : c);
		staging.indexes = [];
		production.indexes.push({table: 'positions', name: 'positions_symbol_idx', definition: 'CREATE INDEX positions_symbol_idx ON public.positions USING btree (symbol)'});
		staging.constraints = [{table: 'market_data', name: 'market_data_pkey', type: 'p', definition: 'PRIMARY KEY (id, close)'}];
		const diff = diffDatabases(production, staging);
		expect(diff).toEqual(expect.arrayContaining([
			expect.objectContaining({kind: 'type', side: 'differs', name: 'market_data.close', detail: expect.stringContaining('numeric not null in jutsu_labs, double precision not null in jutsu_labs_staging')}),
			expect.objectContaining({kind: 'index', side: 'production-only', name: 'market_data:market_data_pkey'}),
			expect.objectContaining({kind: 'index', side: 'production-only', name: 'positions:positions_symbol_idx'}),
			expect.objectContaining({kind: 'constraint', side: 'differs', name: 'market_data:market_data_pkey'}),
		]));
	});

	it('an identical schema has no differences', () => {
		const {production} = fakeSnapshots(false);
		expect(diffDatabases(production, structuredClone({...production, database: 'jutsu_labs_staging'}))).toEqual([]);
	});

	it('rows: union of tables, marked synced from the profile; estimates with ~, exact counts plain, ? when never analysed', () => {
		const profile = parseProfile(SEED_PROFILE, 'test');
		const {production, staging} = fakeSnapshots(false);
		const rows = mergeRows(profile, production, staging);
		expect(rows.map(r => [r.table, r.synced])).toEqual([['backtest_annotations', false], ['market_data', true], ['positions', false]]);
		expect(formatRows(rows[1]!.production)).toBe('~19876');
		expect(formatRows(rows[2]!.production)).toBe('?');
		expect(formatRows(rows[0]!.production)).toBe('-');
		expect(formatRows(mergeRows(profile, ...Object.values(fakeSnapshots(true)) as [never, never])[1]!.production)).toBe('20000');
		expect(formatBytes(3_250_000)).toBe('3.1 MB');
	});

	it('the migration hint is the seed\'s, with docker exec when PostgreSQL runs in a container', () => {
		const profile = parseProfile({...SEED_PROFILE, postgres: {host: 'tower.local', port: 5423, user: 'jutsu', via: 'direct', container: 'jutsu-postgres'}}, 'test');
		expect(migrationHint(profile)).toContain('docker exec -i jutsu-postgres psql -U jutsu -d jutsu_labs_staging < migrations/xyz.sql');
		expect(migrationHint(parseProfile(SEED_PROFILE, 'test'))).toContain('psql -h tower.local -p 5423 -U jutsu -d jutsu_labs_staging -f migrations/xyz.sql');
	});
});
