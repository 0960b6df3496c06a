import {execFileSync} from 'node:child_process';
import {readFileSync, existsSync} from 'node:fs';
import {createServer, type Server} from 'node:net';
import {join} from 'node:path';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {cli, expectNoSecrets, LAB_DIR, labEnv, labProfile, onHost, ROOT, tempProfile} from '../support/lab.js';

/**
 * `jutsu-ops setup staging` against the lab started with production only (up.sh --production-only): a dry run
 * changes nothing; a run whose staging port is taken stops at the container step with a stated state; after
 * freeing the port a re-run completes; then every Safety check passes, and a second run changes nothing.
 * afterAll restores the full lab (up.sh).
 */

const env = labEnv();
const lab = labProfile();
const PG = env.JUTSU_LAB_PG_CONTAINER ?? 'jutsu-postgres';
const STAGING = lab.environments.staging.container as string;
const PRODUCTION = lab.environments.production.container as string;
const AUDIT = join(LAB_DIR, 'e2e-setup-audit.jsonl');
const outputs: string[] = [];
let blocker: Server | undefined;

async function setup(args: string[]) {
	const result = await cli(['setup', 'staging', '--ci-timeout', '120', ...args], {env: {JUTSU_OPS_AUDIT_FILE: AUDIT}, timeoutMs: 300_000});
	outputs.push(result.stdout, result.stderr);
	expectNoSecrets(result.stdout + result.stderr);
	return result;
}

/** What a run could change: refs on the origin, databases, containers, appdata files, the crontab. */
function hostState(): string {
	return [
		onHost(`git --git-dir=${lab.repo.origin} for-each-ref --format='%(refname) %(objectname)'`),
		onHost(`docker exec -i ${PG} psql -U postgres -tAc "select datname from pg_database order by 1"`),
		onHost(`docker ps -a --format '{{.Names}} {{.ID}} {{.Status}}' | sed 's/Up .*/Up/' | sort`),
		onHost('find /mnt/user/appdata -maxdepth 3 2>/dev/null | sort; md5sum /mnt/user/appdata/jutsu/scripts/* 2>/dev/null || true'),
		onHost('crontab -l 2>/dev/null || true'),
	].join('\n---\n');
}

const hashOf = (container: string) => onHost(`docker inspect --type container --format '{{range .Config.Env}}{{println .}}{{end}}' ${container} | sed -n 's/^SECRET_KEY=//p' | sha256sum | cut -c1-64`).trim();

beforeAll(() => {
	execFileSync('bash', [join(ROOT, 'test/lab/up.sh'), '--production-only'], {stdio: 'ignore', timeout: 170_000});
}, 180_000);

const tmp = mkdtempSync(join(tmpdir(), 'jutsu-e2e-setup-'));

afterAll(() => {
	blocker?.close();
	for (const ref of onHost(`git --git-dir=${lab.repo.origin} for-each-ref --format='%(refname)' refs/heads/feature/`).split('\n').filter(Boolean)) onHost(`git --git-dir=${lab.repo.origin} update-ref -d ${ref}`);
	rmSync('/tmp/jutsu-ops/promote.lock', {recursive: true, force: true});
	// the schedule setup installed (up.sh rewrites only its own crontab block)
	onHost(`crontab -l 2>/dev/null | sed '/# jutsu-ops sync schedule BEGIN/,/# jutsu-ops sync schedule END/d' | crontab -`);
	rmSync(tmp, {recursive: true, force: true});
	execFileSync('bash', [join(ROOT, 'test/lab/up.sh')], {stdio: 'ignore', timeout: 170_000});
}, 180_000);

describe('setup staging on a host with only production', () => {
	it('starts from production only', () => {
		expect(onHost(`docker ps -a --format '{{.Names}}'`)).not.toContain(STAGING);
		expect(onHost(`git --git-dir=${lab.repo.origin} branch --list staging`).trim()).toBe('');
	});

	it('--dry-run shows every step with what it would run and changes nothing', async () => {
		const before = hostState();
		const result = await setup(['--dry-run']);
		expect(result.exitCode, result.stderr).toBe(0);
		expect(result.stdout).toMatch(/would run\s+Branch staging on origin, from main/u);
		expect(result.stdout).toMatch(/would run\s+Database jutsu_labs_staging/u);
		expect(result.stdout).toContain('CREATE DATABASE "jutsu_labs_staging" WITH OWNER "jutsu" TEMPLATE template0 ENCODING');
		expect(result.stdout).toMatch(/would run\s+Container jutsu-labs-staging/u);
		expect(result.stdout).toContain('SECRET_KEY=<openssl rand -hex 32 on the host, never shown>');
		expect(result.stdout).toContain('Dry run: nothing was changed.');
		expect(hostState()).toBe(before);
	});

	it('the staging port taken: stops at the container step, says what was and was not done; after freeing it a re-run completes', async () => {
		blocker = createServer(() => undefined);
		await new Promise<void>(resolve => blocker!.listen(lab.environments.staging.apiPort, '127.0.0.1', resolve));
		const failed = await setup(['--yes']);
		expect(failed.exitCode).toBe(1);
		expect(failed.stdout).toMatch(/ran\s+Branch staging/u);
		expect(failed.stdout).toMatch(/ran\s+Database jutsu_labs_staging/u);
		expect(failed.stdout).toMatch(/FAILED\s+Container jutsu-labs-staging/u);
		expect(failed.stdout).toContain('Not done: sync, safety.');
		expect(onHost(`docker inspect --type container -f '{{.State.Status}}' ${STAGING}`).trim()).not.toBe('running');

		await new Promise<void>(resolve => blocker!.close(() => resolve()));
		blocker = undefined;
		const again = await setup(['--yes']);
		expect(again.exitCode, again.stdout + again.stderr).toBe(0);
		expect(again.stdout).toMatch(/done\s+Branch staging/u);
		expect(again.stdout).toMatch(/done\s+Database jutsu_labs_staging/u);
		expect(again.stdout).toMatch(/ran\s+Container jutsu-labs-staging/u);
		expect(again.stdout).toMatch(/ran\s+Safe sync script/u);
		expect(again.stdout).toMatch(/ran\s+Safety checks/u);
		expect(again.stdout).toMatch(/\d+ pass, \d+ warn, \d+ skip, 0 fail/u);
	});

	it('then every Safety check passes (jutsu-ops verify), and staging\'s SECRET_KEY differs from production\'s by hash', async () => {
		const verify = await cli(['verify', '--json']);
		outputs.push(verify.stdout, verify.stderr);
		expect(verify.exitCode, verify.stdout.slice(0, 2000)).toBe(0);
		const report = JSON.parse(verify.stdout) as {checks: {id: string; status: string; detail: string}[]};
		expect(report.checks.filter(c => c.status !== 'pass' && c.status !== 'skip')).toEqual([]);
		expect(report.checks.find(c => c.id === 'staging.secret-key')?.status).toBe('pass');
		const [prod, staging] = [hashOf(PRODUCTION), hashOf(STAGING)];
		expect(staging).toMatch(/^[0-9a-f]{64}$/u);
		expect(staging).not.toBe(prod);
		expect(staging).not.toBe(onHost('printf "" | sha256sum | cut -c1-64').trim());
		// staging's env has the overrides, and no token volume
		const envText = onHost(`docker inspect --type container --format '{{range .Config.Env}}{{println .}}{{end}}' ${STAGING} | grep -E '^(ENVIRONMENT|SCHWAB_ENABLED|PAPER_TRADING_ONLY|POSTGRES_DATABASE|LOG_LEVEL)='`);
		expect(envText.split('\n').filter(Boolean).sort()).toEqual(['ENVIRONMENT=staging', 'LOG_LEVEL=DEBUG', 'PAPER_TRADING_ONLY=true', 'POSTGRES_DATABASE=jutsu_labs_staging', 'SCHWAB_ENABLED=false']);
		expect(onHost(`docker inspect --type container --format '{{range .Mounts}}{{println .Source}}{{end}}' ${STAGING}`)).not.toMatch(/token/iu);
	});

	it('a second run changes nothing: every step is done and skipped', async () => {
		const before = hostState();
		const result = await setup(['--yes']);
		expect(result.exitCode, result.stdout).toBe(0);
		for (const title of ['Branch staging', 'CI builds :staging', 'Database jutsu_labs_staging', 'Container jutsu-labs-staging', 'Safe sync script']) {
			expect(result.stdout).toMatch(new RegExp(`done\\s+${title.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&')}`, 'u'));
		}
		expect(hostState()).toBe(before);
	});

	it('then a promotion to staging works on the new staging', async () => {
		const clone = join(tmp, 'clone');
		const git = (...args: string[]) => execFileSync('git', ['-C', clone, ...args], {encoding: 'utf8', env: {...process.env, GIT_AUTHOR_NAME: 'Ana Dev', GIT_AUTHOR_EMAIL: 'ana@example.com', GIT_COMMITTER_NAME: 'Ana Dev', GIT_COMMITTER_EMAIL: 'ana@example.com'}}).trim();
		execFileSync('git', ['clone', '-q', lab.repo.origin, clone]);
		git('checkout', '-q', '-B', 'feature/after-setup', 'origin/staging');
		execFileSync('bash', ['-c', `echo hello > ${join(clone, 'AFTER_SETUP.md')}`]);
		git('add', '-A');
		git('commit', '-q', '-m', 'Add a note after setup');
		git('push', '-q', 'origin', 'feature/after-setup:feature/after-setup');
		const profile = tempProfile(p => {
			p.repo.path = clone;
		});
		const result = await cli(['promote', 'feature/after-setup', '--to', 'staging', '--ci-timeout', '60'], {config: profile, env: {JUTSU_OPS_STATE_DIR: join(tmp, 'state'), JUTSU_OPS_AUDIT_FILE: AUDIT, JUTSU_OPS_CI_POLL_MS: '500'}, timeoutMs: 200_000});
		outputs.push(result.stdout, result.stderr);
		expect(result.exitCode, result.stdout + result.stderr).toBe(0);
		expect(result.stdout).toContain('Promotion done: feature/after-setup is in staging.');
	}, 240_000);

	it('no secret value in any output or in the audit log, including the generated SECRET_KEY', () => {
		const secret = onHost(`docker inspect --type container --format '{{range .Config.Env}}{{println .}}{{end}}' ${STAGING} | sed -n 's/^SECRET_KEY=//p'`).trim();
		expect(secret.length).toBe(64);
		const audit = existsSync(AUDIT) ? readFileSync(AUDIT, 'utf8') : '';
		expect(audit).toContain('"action":"setup container"');
		for (const text of [...outputs, audit]) {
			expect(text.includes(secret)).toBe(false);
			expectNoSecrets(text);
		}
	});
});
