import type {HttpProbe} from '../../source/core/app/probe.js';
import type {ColumnInfo} from '../../source/core/db/pg.js';
import type {Container} from '../../source/core/docker/containers.js';
import {maskEnv} from '../../source/core/secrets.js';
import type {SafetyInputs} from '../../source/core/safety/types.js';
import type {ScheduleInfo} from '../../source/core/sync/schedule.js';
import {container, profile} from './fixtures.js';

/** Secret values used by the fakes: no report, line or frame may contain them. */
export const FAKE_SECRETS = ['staging-secret-key-value-1234', 'production-secret-key-value-5678', 'pg-password-value-91011', 'schwab-client-secret-4242'];

export const SEED_WORKFLOW = `name: Build and Push Docker Image

on:
  push:
    branches:
      - main      # Build and tag as 'latest'
      - staging   # Build and tag as 'staging'

jobs:
  build-and-push:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Extract branch name
        id: extract_branch
        run: echo "branch=\${GITHUB_REF#refs/heads/}" >> $GITHUB_OUTPUT
      - name: Set Docker tag
        id: set_tag
        run: |
          if [ "\${{ steps.extract_branch.outputs.branch }}" = "main" ]; then
            echo "tag=latest" >> $GITHUB_OUTPUT
          else
            echo "tag=\${{ steps.extract_branch.outputs.branch }}" >> $GITHUB_OUTPUT
          fi
      - name: Build and push
        uses: docker/build-push-action@v5
        with:
          push: true
          tags: ankugo/jutsu-labs:\${{ steps.set_tag.outputs.tag }}
`;

export const NOW = Date.parse('2026-07-10T16:00:00Z');

export function stagingEnv(extra: Record<string, string> = {}): string[] {
	const base: Record<string, string> = {
		DATABASE_TYPE: 'postgresql', POSTGRES_HOST: 'tower.local', POSTGRES_PORT: '5423', POSTGRES_USER: 'jutsu',
		POSTGRES_PASSWORD: FAKE_SECRETS[2]!, POSTGRES_DATABASE: 'jutsu_labs_staging', AUTH_REQUIRED: 'true',
		SECRET_KEY: FAKE_SECRETS[0]!, SCHWAB_ENABLED: 'false', PAPER_TRADING_ONLY: 'true', ENVIRONMENT: 'staging', ...extra,
	};
	return Object.entries(base).map(([k, v]) => `${k}=${v}`);
}

export function productionEnv(extra: Record<string, string> = {}): string[] {
	const base: Record<string, string> = {
		POSTGRES_PASSWORD: FAKE_SECRETS[2]!, POSTGRES_DATABASE: 'jutsu_labs', SECRET_KEY: FAKE_SECRETS[1]!,
		SCHWAB_ENABLED: 'true', PAPER_TRADING_ONLY: 'false', ENVIRONMENT: 'production', SCHWAB_CLIENT_SECRET: FAKE_SECRETS[3]!, ...extra,
	};
	return Object.entries(base).map(([k, v]) => `${k}=${v}`);
}

export function stagingContainer(overrides: Partial<Container> = {}, env: string[] = stagingEnv()): Container {
	return container({
		name: 'jutsu-labs-staging', environment: 'staging', image: 'ankugo/jutsu-labs:staging', tag: 'staging',
		startedAt: new Date(NOW - 3 * 3600_000).toISOString(),
		ports: [{containerPort: '8000/tcp', hostIp: '127.0.0.1', hostPort: '8002'}, {containerPort: '3000/tcp', hostIp: '127.0.0.1', hostPort: '3002'}],
		mounts: [
			{source: '/mnt/user/appdata/jutsu-staging/config', destination: '/app/config', type: 'bind', readOnly: false},
			{source: '/mnt/user/appdata/jutsu-staging/logs', destination: '/app/logs', type: 'bind', readOnly: false},
		],
		env: maskEnv(env),
		...overrides,
	});
}

export function productionContainer(overrides: Partial<Container> = {}, env: string[] = productionEnv()): Container {
	return container({
		name: 'jutsu-labs', environment: 'production',
		ports: [{containerPort: '8000/tcp', hostIp: '127.0.0.1', hostPort: '8001'}, {containerPort: '3000/tcp', hostIp: '127.0.0.1', hostPort: '3001'}],
		mounts: [{source: '/mnt/user/appdata/jutsu/tokens', destination: '/app/tokens', type: 'bind', readOnly: false}],
		env: maskEnv(env),
		...overrides,
	});
}

export const COLUMNS: ColumnInfo[] = [
	{table: 'market_data', column: 'id', type: 'bigint', nullable: false},
	{table: 'market_data', column: 'symbol', type: 'text', nullable: false},
	{table: 'market_data', column: 'close', type: 'numeric', nullable: true},
	{table: 'positions', column: 'id', type: 'bigint', nullable: false},
	{table: 'positions', column: 'qty', type: 'integer', nullable: false},
];

export function syncLogText(lastSuccess: number): string {
	const fmt = (ms: number) => new Intl.DateTimeFormat('sv-SE', {timeZone: 'America/New_York', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23'}).format(new Date(ms));
	return [
		`${fmt(lastSuccess)} - Starting staging sync`,
		`${fmt(lastSuccess)} - Syncing table: market_data`,
		`${fmt(lastSuccess + 2000)} - market_data: 100 rows synced`,
		`${fmt(lastSuccess + 3000)} - Syncing table: performance_snapshots`,
		`${fmt(lastSuccess + 4000)} - performance_snapshots: 9 rows synced`,
		`${fmt(lastSuccess + 5000)} - Staging sync complete`,
		'',
	].join('\n');
}

export const SCHEDULE: ScheduleInfo = {
	source: 'crontab', path: 'crontab -l (root)', expression: '0 2 * * *', command: '/mnt/user/appdata/jutsu/scripts/sync_staging.sh',
	cronTimeZone: 'America/New_York', survivesReboot: true, isUnraid: false, entries: [], crontabAvailable: true,
};

export interface FakeInputs extends SafetyInputs {
	calls: Record<string, number>;
}

export interface FakeWorld {
	containers?: Container[];
	restart?: {restartCount: number; state: string};
	http?: (port: number, path: string, method: string) => HttpProbe;
	columns?: {production: ColumnInfo[]; staging: ColumnInfo[] | Error};
	syncLog?: string | undefined | Error;
	schedule?: ScheduleInfo;
	branch?: string | undefined | Error;
	workflows?: {file: string; text: string}[];
	/** Per remote branch, when they differ (else `workflows` for every branch). */
	workflowsByBranch?: Record<string, {file: string; text: string}[]>;
}

export function defaultHttp(port: number, path: string, method: string): HttpProbe {
	if (port === 8002 && path === '/api/health') return {status: 200, body: '{"status":"ok"}', durationMs: 3};
	if (port === 8002 && path === '/api/status/environment') return {status: 200, body: '{"environment":"staging","schwab_enabled":false,"paper_trading_only":true}', durationMs: 3};
	if (port === 8002 && path === '/api/trading/start' && method === 'POST') return {status: 403, body: '{"detail":"Live trading is disabled"}', durationMs: 3};
	if (port === 3002 && path === '/') return {status: 200, body: '<html>', durationMs: 3};
	return {status: undefined, body: '', error: 'Connection refused', durationMs: 1};
}

/** A healthy seed-like world; override one input to inject one fault. */
export function fakeInputs(world: FakeWorld = {}): FakeInputs {
	const calls: Record<string, number> = {};
	const count = (key: string) => {
		calls[key] = (calls[key] ?? 0) + 1;
	};
	const settle = <T>(v: T | Error): T => {
		if (v instanceof Error) throw v;
		return v;
	};
	return {
		profile,
		calls,
		now: () => NOW,
		async listContainers() {
			count('containers');
			return world.containers ?? [productionContainer(), stagingContainer()];
		},
		async restartSample(name) {
			count('restart');
			const c = (world.containers ?? [stagingContainer()]).find(x => x.name === name);
			return world.restart ?? (c ? {restartCount: c.restartCount, state: c.state} : undefined);
		},
		async http(port, path, method) {
			count(`http:${port}${path}`);
			return (world.http ?? defaultHttp)(port, path, method);
		},
		async columns(environment) {
			count(`columns:${environment}`);
			const cols = world.columns ?? {production: COLUMNS, staging: COLUMNS};
			return settle(cols[environment]);
		},
		async syncLog() {
			count('synclog');
			return settle('syncLog' in world ? world.syncLog : syncLogText(NOW - 14 * 3600_000));
		},
		async schedule() {
			count('schedule');
			return world.schedule ?? SCHEDULE;
		},
		async remoteBranch() {
			count('branch');
			return settle('branch' in world ? world.branch : 'a930cd9d46130000000000000000000000000000');
		},
		async workflows(branch: string) {
			count('workflows');
			return world.workflowsByBranch?.[branch] ?? world.workflows ?? [{file: '.github/workflows/docker-publish.yml', text: SEED_WORKFLOW}];
		},
	};
}
