import {describe, expect, it} from 'vitest';
import {parseProfile} from '../../source/core/config/load.js';
import {SEED_PROFILE} from '../../source/core/config/schema.js';
import {OpsError} from '../../source/core/errors.js';
import {diffSchemas, safetyChecks} from '../../source/core/safety/checks.js';
import {runSafety} from '../../source/core/safety/runner.js';
import type {SafetyInputs, SafetyReport} from '../../source/core/safety/types.js';
import {parseYaml, tagsBuiltFor, triggersOnPush} from '../../source/core/safety/workflow.js';
import {formatReport, parseGroups} from '../../source/commands/verify.js';
import {
	COLUMNS, FAKE_SECRETS, NOW, SCHEDULE, SEED_WORKFLOW, defaultHttp, fakeInputs, productionContainer, productionEnv,
	stagingContainer, stagingEnv, syncLogText,
} from '../support/safety-fakes.js';

async function run(inputs: SafetyInputs, options = {}): Promise<SafetyReport> {
	return runSafety(inputs, {restartSampleMs: 0, ...options}, () => undefined, new AbortController().signal);
}

function failing(report: SafetyReport): string[] {
	return report.checks.filter(c => c.status === 'fail').map(c => c.id);
}

function noSecrets(report: SafetyReport): void {
	const text = JSON.stringify(report) + formatReport(report, 'host');
	for (const secret of FAKE_SECRETS) expect(text).not.toContain(secret);
}

describe('safety checks on a seed-like setup', () => {
	it('pass, except the opt-in trading probe and the Unraid-only reboot check, which say why they skip', async () => {
		const report = await run(fakeInputs());
		const notPassed = report.checks.filter(c => c.status !== 'pass');
		expect(notPassed.map(c => [c.id, c.status])).toEqual([['app.trading-refused', 'skip'], ['schedule.survives-reboot', 'skip']]);
		expect(notPassed[0]!.detail).toContain('--probe-trading');
		expect(notPassed[1]!.detail).toContain('Not an Unraid host');
		expect(report.summary).toEqual({pass: report.checks.length - 2, warn: 0, fail: 0, skip: 2});
		noSecrets(report);
	});

	it('fetches each input once however many checks read it', async () => {
		const inputs = fakeInputs();
		await run(inputs, {probeTrading: true});
		expect(inputs.calls.containers).toBe(1);
		expect(inputs.calls['columns:staging']).toBe(1);
		expect(inputs.calls['columns:production']).toBe(1);
		expect(inputs.calls.schedule).toBe(1);
		expect(inputs.calls['http:8002/api/status/environment']).toBe(1);
	});

	it('has one check per expectation in the profile, so a differently named setup is checked just as well', () => {
		const custom = parseProfile({
			...SEED_PROFILE,
			environments: {
				...SEED_PROFILE.environments,
				staging: {...SEED_PROFILE.environments.staging, container: 'qa-box', apiPort: 9002, uiPort: 9003, database: 'qa_db', expect: {MODE: 'qa', DRY_RUN: 'true'}},
			},
		}, 'custom');
		const ids = safetyChecks(custom).map(c => c.id);
		expect(ids).toContain('staging.env.MODE');
		expect(ids).toContain('staging.env.DRY_RUN');
		expect(ids).not.toContain('staging.env.SCHWAB_ENABLED');
		expect(safetyChecks(custom).find(c => c.id === 'staging.ports')!.title).toContain('9002/9003');
	});
});

describe('each misconfiguration fails the right check and no other', () => {
	const cases: [string, Parameters<typeof fakeInputs>[0], string][] = [
		['SCHWAB_ENABLED=true on staging', {containers: [productionContainer(), stagingContainer({}, stagingEnv({SCHWAB_ENABLED: 'true'}))], http: (p, path, m) => (path.endsWith('environment') ? {status: 200, body: '{"environment":"staging","schwab_enabled":true,"paper_trading_only":true}', durationMs: 1} : defaultHttp(p, path, m))}, 'staging.env.SCHWAB_ENABLED'],
		['PAPER_TRADING_ONLY=False spelled differently', {containers: [productionContainer(), stagingContainer({}, stagingEnv({PAPER_TRADING_ONLY: 'False'}))], http: (p, path, m) => (path.endsWith('environment') ? {status: 200, body: '{"environment":"staging","schwab_enabled":false,"paper_trading_only":false}', durationMs: 1} : defaultHttp(p, path, m))}, 'staging.env.PAPER_TRADING_ONLY'],
		['production\'s SECRET_KEY on staging', {containers: [productionContainer(), stagingContainer({}, stagingEnv({SECRET_KEY: FAKE_SECRETS[1]!}))]}, 'staging.secret-key'],
		['staging pointing at the production database', {containers: [productionContainer(), stagingContainer({}, stagingEnv({POSTGRES_DATABASE: 'jutsu_labs'}))]}, 'staging.database'],
		['a token volume on staging', {containers: [productionContainer(), stagingContainer({mounts: [{source: '/mnt/user/appdata/jutsu/tokens', destination: '/app/tokens', type: 'bind', readOnly: false}]})]}, 'staging.no-schwab-credentials'],
		['a SCHWAB_* credential on staging', {containers: [productionContainer(), stagingContainer({}, stagingEnv({SCHWAB_CLIENT_SECRET: FAKE_SECRETS[3]!}))]}, 'staging.no-schwab-credentials'],
		['staging publishing production\'s port', {containers: [productionContainer(), stagingContainer({ports: [{containerPort: '8000/tcp', hostIp: '127.0.0.1', hostPort: '8002'}, {containerPort: '3000/tcp', hostIp: '127.0.0.1', hostPort: '3002'}, {containerPort: '8000/tcp', hostIp: '127.0.0.2', hostPort: '8001'}]})]}, 'staging.ports'],
		['the app and the container disagree', {http: (p, path, m) => (path.endsWith('environment') ? {status: 200, body: '{"environment":"production","schwab_enabled":false,"paper_trading_only":true}', durationMs: 1} : defaultHttp(p, path, m))}, 'app.environment'],
		['a column missing in staging', {columns: {production: COLUMNS, staging: COLUMNS.filter(c => c.column !== 'close')}}, 'db.schema'],
		['the last sync older than the limit', {syncLog: syncLogText(NOW - 30 * 3600_000)}, 'db.sync-recent'],
		['no sync log', {syncLog: undefined}, 'db.sync-recent'],
		['staging on the production tag', {containers: [productionContainer(), stagingContainer({image: 'ankugo/jutsu-labs:latest', tag: 'latest'})]}, 'staging.image'],
		['the restart count climbing', {restart: {restartCount: 3, state: 'running'}}, 'staging.restarts'],
		['an unhealthy staging', {containers: [productionContainer(), stagingContainer({health: 'unhealthy'})]}, 'staging.health'],
		['no staging branch', {branch: undefined}, 'git.staging-branch'],
		['a workflow that only builds main', {workflows: [{file: 'ci.yml', text: SEED_WORKFLOW.replace('      - staging   # Build and tag as \'staging\'\n', '')}]}, 'git.workflow'],
		// CI runs the workflows of the pushed branch: main's workflow knowing staging does not help if staging's does not
		['the staging branch\'s own workflow without staging', {workflowsByBranch: {main: [{file: 'ci.yml', text: SEED_WORKFLOW}], staging: [{file: 'ci.yml', text: SEED_WORKFLOW.replace('      - staging   # Build and tag as \'staging\'\n', '')}]}}, 'git.workflow'],
		['the sync at 2 AM UTC', {schedule: {...SCHEDULE, cronTimeZone: 'UTC'}}, 'schedule.time'],
		['production in paper mode', {containers: [productionContainer({}, productionEnv({PAPER_TRADING_ONLY: 'true'})), stagingContainer()]}, 'production.flags'],
		['production pointing at the staging database', {containers: [productionContainer({}, productionEnv({POSTGRES_DATABASE: 'jutsu_labs_staging'})), stagingContainer()]}, 'production.database'],
	];
	for (const [name, world, id] of cases) {
		it(name, async () => {
			const report = await run(fakeInputs(world));
			expect(failing(report)).toEqual([id]);
			const check = report.checks.find(c => c.id === id)!;
			expect(check.remedy).toBeTruthy();
			noSecrets(report);
		});
	}

	it('names the missing column and the staging-only table in the details', async () => {
		const staging = [...COLUMNS.filter(c => c.column !== 'close'), {table: 'backtest_annotations', column: 'id', type: 'bigint', nullable: false}];
		const report = await run(fakeInputs({columns: {production: COLUMNS, staging}}));
		expect(report.checks.find(c => c.id === 'db.schema')!.detail).toContain('missing columns: market_data.close');
		expect(diffSchemas(COLUMNS, staging).extraTables).toEqual(['backtest_annotations']);
	});

	it('a staging database that does not exist fails its check; the schema comparison skips with the reason', async () => {
		const report = await run(fakeInputs({columns: {production: COLUMNS, staging: new OpsError('failure', 'The database jutsu_labs_staging does not exist on tower.local:5423.')}}));
		expect(failing(report)).toEqual(['db.staging-exists']);
		expect(report.checks.find(c => c.id === 'db.schema')!.status).toBe('skip');
	});

	it('a schedule only in the crontab of an Unraid host fails "survives a reboot"', async () => {
		const report = await run(fakeInputs({schedule: {...SCHEDULE, isUnraid: true, survivesReboot: false}}));
		expect(failing(report)).toEqual(['schedule.survives-reboot']);
		const lasting = await run(fakeInputs({schedule: {...SCHEDULE, source: 'user-scripts', path: '/boot/config/plugins/user.scripts/scripts/sync', isUnraid: true, survivesReboot: true}}));
		expect(lasting.checks.find(c => c.id === 'schedule.survives-reboot')!.status).toBe('pass');
	});

	it('a missing staging container fails the container checks with one reason, never throws', async () => {
		const report = await run(fakeInputs({containers: [productionContainer()]}));
		const failed = report.checks.filter(c => c.status === 'fail' && c.group === 'staging-container');
		expect(failed.length).toBeGreaterThan(5);
		expect(failed[0]!.detail).toContain('"jutsu-labs-staging" does not exist');
	});

	it('an input that throws becomes a failure naming the cause', async () => {
		const inputs = fakeInputs();
		inputs.listContainers = async () => {
			throw new OpsError('missing-tool', 'docker is not installed on root@tower.local:22. Nothing was run.');
		};
		const report = await run(inputs);
		const c = report.checks.find(x => x.id === 'staging.running')!;
		expect(c.status).toBe('fail');
		expect(c.detail).toContain('docker is not installed');
	});

	it('the trading probe runs only when asked, and fails loudly when staging accepts a live start', async () => {
		const accepting = fakeInputs({http: (p, path, m) => (m === 'POST' ? {status: 200, body: '{"status":"started","mode":"live"}', durationMs: 1} : defaultHttp(p, path, m))});
		const byDefault = await run(accepting);
		expect(byDefault.checks.find(c => c.id === 'app.trading-refused')!.status).toBe('skip');
		expect(accepting.calls['http:8002/api/trading/start']).toBeUndefined();
		const probed = await run(accepting, {probeTrading: true});
		expect(failing(probed)).toEqual(['app.trading-refused']);
		const refused = await run(fakeInputs(), {probeTrading: true});
		expect(refused.checks.find(c => c.id === 'app.trading-refused')).toMatchObject({status: 'pass', detail: expect.stringContaining('403')});
	});

	it('runs only the chosen groups', async () => {
		const report = await run(fakeInputs(), {groups: parseGroups(['db,prod'])});
		expect([...new Set(report.checks.map(c => c.group))]).toEqual(['database', 'production']);
		expect(() => parseGroups(['nope'])).toThrow(/Unknown check group "nope"/u);
	});
});

describe('workflow reader', () => {
	it('follows the seed workflow: staging builds :staging, main builds :latest, other branches do not run', () => {
		const y = parseYaml(SEED_WORKFLOW);
		expect(triggersOnPush(y, 'staging')).toBe(true);
		expect(triggersOnPush(y, 'feature/x')).toBe(false);
		expect(tagsBuiltFor(y, 'main')).toEqual(['ankugo/jutsu-labs:latest']);
		expect(tagsBuiltFor(y, 'staging')).toEqual(['ankugo/jutsu-labs:staging']);
	});

	it('reads flow lists, globs and literal tags; gives up (undefined) on what it cannot follow', () => {
		const y = parseYaml('on:\n  push:\n    branches: [main, "release/**"]\njobs:\n  b:\n    steps:\n      - uses: docker/build-push-action@v5\n        with:\n          tags: |\n            me/app:latest\n            me/app:${{ github.sha }}\n');
		expect(triggersOnPush(y, 'release/1.2/x')).toBe(true);
		expect(triggersOnPush(y, 'staging')).toBe(false);
		expect(tagsBuiltFor(y, 'main')).toEqual(['me/app:latest', 'me/app:<sha>']);
		const meta = parseYaml('on: push\njobs:\n  b:\n    steps:\n      - uses: docker/metadata-action@v5\n');
		expect(triggersOnPush(meta, 'anything')).toBe(true);
		expect(tagsBuiltFor(meta, 'main')).toBeUndefined();
	});

	it('an unreadable workflow makes the check warn, not pass', async () => {
		const report = await run(fakeInputs({workflows: [{file: 'x.yml', text: 'on: push\njobs:\n  b:\n    steps:\n      - uses: docker/metadata-action@v5\n'}]}));
		expect(report.checks.find(c => c.id === 'git.workflow')!.status).toBe('warn');
	});
});
