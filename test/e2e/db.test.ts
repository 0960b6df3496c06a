import {afterAll, describe, expect, it} from 'vitest';
import {cli, expectNoSecrets, labEnv, onHost} from '../support/lab.js';

/**
 * The Database view against the lab: both databases side by side; schema drift (a column and an index added to
 * production only) is named by `jutsu-ops db` and by the Safety schema check. afterAll drops both again.
 */

const env = labEnv();
const PG = env.JUTSU_LAB_PG_CONTAINER ?? 'jutsu-postgres';
const PROD_DB = env.JUTSU_LAB_PROD_DB ?? 'jutsu_labs';
const ROWS = Number(process.env.JUTSU_LAB_MARKET_ROWS ?? 20000);

function psqlProduction(sql: string): string {
	return onHost(`docker exec -i ${PG} psql -v ON_ERROR_STOP=1 -U postgres -d ${PROD_DB} <<'SQL'\n${sql}\nSQL`);
}

interface Report {
	production: {database: string; error?: string};
	staging: {database: string; error?: string};
	rows: {table: string; synced: boolean; production?: {estimate?: number; exact?: number; bytes: number}; staging?: {exact?: number; bytes: number}}[];
	differences: {kind: string; side: string; name: string; detail: string}[];
	migrationHint?: string;
	lastSync?: {status: string; startedAt: number};
}

async function db(args: string[] = []): Promise<{report: Report; exitCode: number | undefined; stdout: string}> {
	const result = await cli(['db', '--json', ...args]);
	expectNoSecrets(result.stdout + result.stderr);
	try {
		return {report: JSON.parse(result.stdout) as Report, exitCode: result.exitCode, stdout: result.stdout};
	} catch {
		throw new Error(`db printed no JSON (exit ${result.exitCode}): ${result.stderr.slice(0, 400)}`);
	}
}

afterAll(() => {
	psqlProduction('ALTER TABLE market_data DROP COLUMN IF EXISTS adjusted_close; DROP INDEX IF EXISTS market_data_volume_idx;');
});

describe('jutsu-ops db against the lab', () => {
	it('as built: both databases, sync coverage, the last sync, and only the staging-only table as a difference', async () => {
		const {report, exitCode} = await db();
		expect(exitCode).toBe(0);
		expect(report.production.database).toBe(PROD_DB);
		const market = report.rows.find(r => r.table === 'market_data')!;
		expect(market.synced).toBe(true);
		expect(market.production!.bytes).toBeGreaterThan(market.staging!.bytes);
		expect(report.rows.find(r => r.table === 'positions')?.synced).toBe(false);
		expect(report.rows.find(r => r.table === 'backtest_annotations')?.production).toBeUndefined();
		expect(report.lastSync?.status).toBe('success');
		expect(report.differences).toEqual([expect.objectContaining({kind: 'table', side: 'staging-only', name: 'backtest_annotations'})]);
		expect(report.migrationHint).toBeUndefined();
	});

	it('--exact counts every row: production has the lab\'s market_data rows', async () => {
		const {report} = await db(['--exact']);
		expect(report.rows.find(r => r.table === 'market_data')?.production?.exact).toBe(ROWS);
		expect(report.rows.find(r => r.table === 'performance_snapshots')?.production?.exact).toBe(90);
	});

	it('schema drift: a column and an index added to production only are named by db and by the Safety check', async () => {
		psqlProduction('ALTER TABLE market_data ADD COLUMN adjusted_close numeric(12,4); CREATE INDEX market_data_volume_idx ON market_data (volume);');
		const {report, exitCode} = await db();
		expect(exitCode).toBe(1);
		expect(report.differences).toEqual(expect.arrayContaining([
			expect.objectContaining({kind: 'column', side: 'production-only', name: 'market_data.adjusted_close'}),
			expect.objectContaining({kind: 'index', side: 'production-only', name: 'market_data:market_data_volume_idx'}),
		]));
		expect(report.migrationHint).toContain(`-d ${env.JUTSU_LAB_STAGING_DB ?? 'jutsu_labs_staging'}`);

		const text = await cli(['db']);
		expect(text.exitCode).toBe(1);
		expect(text.stdout).toMatch(/production-only\s+column\s+column market_data\.adjusted_close \(numeric\) is missing in jutsu_labs_staging/u);
		expect(text.stdout).toContain('migrations auto-apply to staging');

		const verify = await cli(['verify', '--group', 'database', '--json']);
		expectNoSecrets(verify.stdout + verify.stderr);
		expect(verify.exitCode).toBe(1);
		const checks = (JSON.parse(verify.stdout) as {checks: {id: string; status: string; detail: string}[]}).checks;
		const schema = checks.find(c => c.id === 'db.schema')!;
		expect(schema.status).toBe('fail');
		expect(schema.detail).toContain('market_data.adjusted_close');
	});
});
