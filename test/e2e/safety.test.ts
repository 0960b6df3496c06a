import {execFileSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {cli, expectNoSecrets, LAB_DIR, labEnv, onHost, tempProfile} from '../support/lab.js';

/**
 * `jutsu-ops verify` against the lab: as built every check passes or says why it skips; each misconfiguration
 * from issue 5 fails its own check and no other. Every test that changes the lab puts it back (up.sh repairs the
 * containers; the DB and log changes are undone precisely).
 */

interface Report {
	host: string;
	ok: boolean;
	summary: {pass: number; warn: number; fail: number; skip: number};
	checks: {id: string; group: string; title: string; status: string; detail: string; remedy?: string}[];
}

const tmp = mkdtempSync(join(tmpdir(), 'jutsu-safety-'));
const repo = join(tmp, 'jutsu-labs');
let profile = '';
const env = labEnv();
const STAGING = env.JUTSU_LAB_STAGING_CONTAINER ?? 'jutsu-labs-staging';
const SYNC_LOG = env.JUTSU_LAB_SYNC_LOG ?? '/mnt/user/appdata/jutsu/logs/staging_sync.log';

beforeAll(() => {
	// The repo checks read a local clone of the app's repository (the lab's origin).
	execFileSync('git', ['clone', '-q', env.JUTSU_LAB_ORIGIN ?? join(LAB_DIR, 'git', 'jutsu-labs.git'), repo]);
	profile = tempProfile(p => {
		p.repo.path = repo;
	});
});

afterAll(() => {
	rmSync(tmp, {recursive: true, force: true});
});

async function verify(args: string[] = [], config = profile): Promise<{report: Report; exitCode: number | undefined; stdout: string}> {
	const result = await cli(['verify', '--json', ...args, '--config', config]);
	expectNoSecrets(result.stdout + result.stderr);
	let report: Report;
	try {
		report = JSON.parse(result.stdout) as Report;
	} catch {
		throw new Error(`verify printed no JSON (exit ${result.exitCode}): ${result.stderr.slice(0, 400)}`);
	}
	return {report, exitCode: result.exitCode, stdout: result.stdout};
}

function failing(report: Report): string[] {
	return report.checks.filter(c => c.status === 'fail').map(c => c.id);
}

function others(report: Report, id: string): {id: string; status: string}[] {
	return report.checks.filter(c => c.id !== id && c.status !== 'pass' && c.status !== 'skip').map(c => ({id: c.id, status: c.status, detail: c.detail}));
}

/**
 * Recreate staging the way the lab builds it (up.sh), with changes: env overrides (values may name a lab secret
 * variable, e.g. $JUTSU_LAB_PROD_SECRET_KEY, expanded on the host and never printed), extra `docker run` options,
 * and arguments after the image. Waits until Docker reports it healthy.
 */
function recreateStaging(change: {env?: Record<string, string>; options?: string[]; entrypoint?: string[]} = {}): void {
	const base: Record<string, string> = {
		DATABASE_TYPE: 'postgresql', POSTGRES_HOST: 'tower.local', POSTGRES_PORT: env.JUTSU_LAB_PG_PORT ?? '5423', POSTGRES_USER: 'jutsu',
		POSTGRES_PASSWORD: '$JUTSU_LAB_PG_PASSWORD', AUTH_REQUIRED: 'true', ADMIN_PASSWORD: '$JUTSU_LAB_ADMIN_PASSWORD', TZ: 'America/New_York',
		POSTGRES_DATABASE: 'jutsu_labs_staging', SECRET_KEY: '$JUTSU_LAB_STAGING_SECRET_KEY', SCHWAB_ENABLED: 'false',
		PAPER_TRADING_ONLY: 'true', ENVIRONMENT: 'staging', LOG_LEVEL: 'DEBUG', ...change.env,
	};
	// values starting with $ are lab secret variables: double-quoted so the host shell expands them
	const envArgs = Object.entries(base).map(([k, v]) => (v.startsWith('$') ? `-e "${k}=${v}"` : `-e ${q(`${k}=${v}`)}`)).join(' ');
	const dir = '/mnt/user/appdata/jutsu-staging';
	onHost(`set -e; set -a; . ${q(join(LAB_DIR, 'secrets.env'))}; set +a
docker rm -f ${STAGING} >/dev/null
docker run -d --name ${STAGING} --restart unless-stopped --network bridge \
  -p 127.0.0.1:8002:8000 -p 127.0.0.1:3002:3000 \
  -v ${dir}/config:/app/config -v ${dir}/logs:/app/logs -v ${dir}/output:/app/output \
  ${envArgs} ${(change.options ?? []).map(q).join(' ')} ${env.JUTSU_LAB_IMAGE ?? '127.0.0.1:5000/ankugo/jutsu-labs'}:staging ${(change.entrypoint ?? []).map(q).join(' ')} >/dev/null
for i in $(seq 1 300); do
  h=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' ${STAGING})
  [ "$h" = healthy ] && exit 0
  sleep 0.1
done
echo "staging did not become healthy ($h)" >&2; exit 1`);
}

/** Single-quote for the host's shell. */
function q(s: string): string {
	return `'${s.replaceAll('\'', '\'\\\'\'')}'`;
}

function restoreLab(): void {
	onHost('bash test/lab/up.sh >/dev/null');
}

describe('jutsu-ops verify against the lab as built', () => {
	it('passes every check or skips it for a stated reason; exit 0; no secret anywhere', async () => {
		const {report, exitCode} = await verify();
		expect(exitCode).toBe(0);
		expect(report.ok).toBe(true);
		const notPassed = report.checks.filter(c => c.status !== 'pass');
		expect(notPassed.map(c => `${c.id}:${c.status}`)).toEqual(['app.trading-refused:skip', 'schedule.survives-reboot:skip']);
		for (const c of notPassed) expect(c.detail.length).toBeGreaterThan(20);
		expect(report.checks.map(c => c.group)).toEqual(expect.arrayContaining(['git', 'staging-container', 'app', 'database', 'schedule', 'production']));
		expect(report.checks.find(c => c.id === 'db.schema')!.detail).toContain('staging-only tables: backtest_annotations');
		expect(report.checks.find(c => c.id === 'staging.secret-key')!.detail).toContain('compared by hash');
	});

	it('prints one line per check grouped, and a summary line, in plain mode', async () => {
		const result = await cli(['verify', '--config', profile]);
		expect(result.exitCode).toBe(0);
		expectNoSecrets(result.stdout + result.stderr);
		expect(result.stdout).toContain('Staging container\n');
		expect(result.stdout).toMatch(/^ {2}PASS {2}SECRET_KEY is set and differs from production's — /mu);
		expect(result.stdout).toMatch(/^ {2}SKIP {2}The schedule survives a reboot \(Unraid\) — Not an Unraid host/mu);
		expect(result.stdout).toMatch(/^OK: \d+ passed, 0 warnings, 0 failed, 2 skipped \(\d+\.\d s\)$/mu);
	});

	it('asks staging to start live trading only with --probe-trading, and staging refuses', async () => {
		const {report, exitCode} = await verify(['--probe-trading', '--group', 'app']);
		expect(exitCode).toBe(0);
		expect(report.checks.map(c => c.group)).toEqual(['app', 'app', 'app', 'app']);
		expect(report.checks.find(c => c.id === 'app.trading-refused')).toMatchObject({status: 'pass', detail: expect.stringContaining('403')});
	});

	it('exits 2 when it cannot connect, and for an unknown group', async () => {
		const dead = tempProfile(p => {
			p.host.port = 1;
		});
		const down = await cli(['verify', '--config', dead]);
		expect(down.exitCode).toBe(2);
		expect(down.stdout).toBe('');
		const bad = await cli(['verify', '--group', 'nope', '--config', profile]);
		expect(bad.exitCode).toBe(2);
		expect(bad.stderr).toContain('Unknown check group "nope"');
	});
});

describe('each misconfiguration is caught by its check and by no other', () => {
	afterEach(() => {
		restoreLab();
	}, 180_000);

	const containerFaults: [string, Parameters<typeof recreateStaging>[0], string][] = [
		['staging recreated with SCHWAB_ENABLED=true', {env: {SCHWAB_ENABLED: 'true'}}, 'staging.env.SCHWAB_ENABLED'],
		['staging recreated with production\'s SECRET_KEY', {env: {SECRET_KEY: '$JUTSU_LAB_PROD_SECRET_KEY'}}, 'staging.secret-key'],
		['staging pointing at the production database', {env: {POSTGRES_DATABASE: 'jutsu_labs'}}, 'staging.database'],
		['staging with a Schwab token volume', {options: ['-v', '/mnt/user/appdata/jutsu/tokens:/app/tokens:ro']}, 'staging.no-schwab-credentials'],
		// Production keeps 127.0.0.1:8001; staging also publishes host port 8001 on another loopback address.
		['staging on production\'s port', {options: ['-p', '127.0.0.2:8001:8000']}, 'staging.ports'],
		// The container's config says staging; the server process is started with ENVIRONMENT=production.
		['the app\'s env and the container\'s env disagreeing', {options: ['--entrypoint', '/bin/sh'], entrypoint: ['-c', 'ENVIRONMENT=production exec /app/bin/entrypoint.sh']}, 'app.environment'],
	];
	for (const [name, change, id] of containerFaults) {
		it(name, async () => {
			recreateStaging(change);
			const {report, exitCode} = await verify();
			expect(failing(report)).toEqual([id]);
			expect(others(report, id)).toEqual([]);
			expect(exitCode).toBe(1);
			expect(report.checks.find(c => c.id === id)!.remedy).toBeTruthy();
		});
	}

	it('a column missing in the staging database', async () => {
		const psql = (sql: string) => onHost(`docker exec -i jutsu-postgres psql -X -q -v ON_ERROR_STOP=1 -U postgres -d jutsu_labs_staging -c ${q(sql)}`);
		psql('ALTER TABLE performance_snapshots RENAME COLUMN drawdown TO drawdown_old');
		try {
			const {report, exitCode} = await verify();
			expect(failing(report)).toEqual(['db.schema']);
			expect(others(report, 'db.schema')).toEqual([]);
			expect(report.checks.find(c => c.id === 'db.schema')!.detail).toContain('missing columns: performance_snapshots.drawdown');
			expect(exitCode).toBe(1);
		} finally {
			psql('ALTER TABLE performance_snapshots RENAME COLUMN drawdown_old TO drawdown');
		}
	});

	it('a sync log whose last success is older than the limit', async () => {
		const old = (days: number, s: number) => execFileSync('date', ['-d', `${days} days ago 02:00:0${s}`, '+%Y-%m-%d %H:%M:%S'], {encoding: 'utf8', env: {...process.env, TZ: 'America/New_York'}}).trim();
		const text = [
			`${old(3, 1)} - Starting staging sync`, `${old(3, 1)} - Syncing table: market_data`, `${old(3, 3)} - market_data: 20000 rows synced`,
			`${old(3, 4)} - Syncing table: performance_snapshots`, `${old(3, 5)} - performance_snapshots: 90 rows synced`, `${old(3, 6)} - Staging sync complete`, '',
		].join('\n');
		onHost(`cp -p ${SYNC_LOG} ${SYNC_LOG}.e2e-bak && printf '%s' ${q(text)} > ${SYNC_LOG}`);
		try {
			const {report, exitCode} = await verify();
			expect(failing(report)).toEqual(['db.sync-recent']);
			expect(others(report, 'db.sync-recent')).toEqual([]);
			expect(report.checks.find(c => c.id === 'db.sync-recent')!.detail).toMatch(/ago \(limit 26 h\)/u);
			expect(exitCode).toBe(1);
		} finally {
			onHost(`mv -f ${SYNC_LOG}.e2e-bak ${SYNC_LOG}`);
		}
	});
});
