import {execFileSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {cli, expectNoSecrets, LAB_DIR, labEnv, ROOT} from '../support/lab.js';
import {TmuxConsole} from '../support/tmux.js';

/**
 * Production and staging on two hosts (up.sh --two-hosts): host A (sshd 127.0.0.1:2222, the lab's dockerd) runs
 * production, PostgreSQL, the sync script and cron; host B (sshd 127.0.0.1:2223, a second dockerd with its own
 * data root) runs the staging container. The profile names B as staging's host. A tool that asked the wrong host
 * would not find the container, so each assertion below shows that the question went to the right one.
 * afterAll restores the lab as built (plain up.sh: B stopped, staging back on A).
 */

const UP = join(ROOT, 'test/lab/up.sh');
let env: Record<string, string> = {};
let profile = '';
let A = '';
let B = '';
const tmp = mkdtempSync(join(tmpdir(), 'jutsu-e2e-two-hosts-'));
const AUDIT = join(tmp, 'audit.jsonl');
const outputs: string[] = [];

async function run(args: string[], options: {config?: string; timeoutMs?: number} = {}) {
	const result = await cli(args, {config: options.config ?? profile, env: {JUTSU_OPS_AUDIT_FILE: AUDIT}, timeoutMs: options.timeoutMs ?? 120_000});
	outputs.push(result.stdout, result.stderr);
	expectNoSecrets(result.stdout + result.stderr);
	return result;
}

/** docker on one of the two engines, run directly on this machine (to set up and check, never the tool's work). */
function dockerOn(host: 'A' | 'B', command: string): string {
	const dockerHost = host === 'B' ? env.JUTSU_LAB_B_DOCKER_HOST! : 'unix:///var/run/docker.sock';
	return execFileSync('bash', ['-c', `DOCKER_HOST=${dockerHost} docker ${command}`], {encoding: 'utf8'});
}

const names = (host: 'A' | 'B') => dockerOn(host, "ps -a --format '{{.Names}}'").split('\n').filter(Boolean).sort();
const secretHash = (host: 'A' | 'B', container: string) => createHash('sha256').update(
	dockerOn(host, `inspect --type container --format '{{range .Config.Env}}{{println .}}{{end}}' ${container}`).split('\n').find(l => l.startsWith('SECRET_KEY=')) ?? '',
).digest('hex');

beforeAll(() => {
	execFileSync('bash', [UP, '--two-hosts'], {stdio: 'ignore', timeout: 240_000});
	env = labEnv();
	profile = env.JUTSU_LAB_PROFILE_TWO_HOSTS ?? join(LAB_DIR, 'profile-two-hosts.json');
	A = `root@127.0.0.1:${env.JUTSU_LAB_SSH_PORT ?? '2222'}`;
	B = `root@127.0.0.1:${env.JUTSU_LAB_B_SSH_PORT ?? '2223'}`;
}, 250_000);

afterAll(() => {
	execFileSync('bash', [UP], {stdio: 'ignore', timeout: 240_000});
	for (const text of outputs) expectNoSecrets(text);
}, 250_000);

describe('production on host A, staging on host B', () => {
	it('the lab really is two engines: staging runs on B only, production and PostgreSQL on A only', () => {
		expect(names('B')).toEqual(['jutsu-labs-staging']);
		expect(names('A')).toEqual(expect.arrayContaining(['jutsu-labs', 'jutsu-postgres']));
		expect(names('A')).not.toContain('jutsu-labs-staging');
	});

	it('status lists each container with the host it runs on, over one connection per host', async () => {
		const result = await run(['status', '--json']);
		expect(result.exitCode).toBe(0);
		const json = JSON.parse(result.stdout) as {hosts: {host: string; environments: string[]}[]; containers: {name: string; environment: string | null; host: string; health: string}[]};
		expect(json.hosts).toEqual([
			{host: A, environments: ['production'], main: true},
			{host: B, environments: ['staging'], main: false},
		]);
		const byName = Object.fromEntries(json.containers.map(c => [c.name, c]));
		expect(byName['jutsu-labs']).toMatchObject({environment: 'production', host: A});
		expect(byName['jutsu-labs-staging']).toMatchObject({environment: 'staging', host: B});
		expect(byName['jutsu-postgres']).toMatchObject({host: A});
		const table = await run(['status']);
		expect(table.stdout).toContain(`${A} + ${B} (staging)`);
		expect(table.stdout).toMatch(/jutsu-labs-staging\s+staging\s+root@127\.0\.0\.1:2223/u);
		expect(table.stdout).not.toContain('was not found');
	});

	it('init --discover --staging-host finds staging on B and production, PostgreSQL and the sync script on A', async () => {
		const result = await run(['init', '--discover', '--print', '--staging-host', `127.0.0.1:${env.JUTSU_LAB_B_SSH_PORT ?? '2223'}`], {config: join(LAB_DIR, 'profile.json')});
		expect(result.exitCode).toBe(0);
		const proposed = JSON.parse(result.stdout) as {host: {port: number}; environments: Record<string, {container: string; apiPort: number; host?: {alias: string; port: number}}>; postgres: {container: string}; sync: {script: string}};
		expect(proposed.environments.staging).toMatchObject({container: 'jutsu-labs-staging', apiPort: 8002, host: {alias: '127.0.0.1', port: Number(env.JUTSU_LAB_B_SSH_PORT ?? 2223)}});
		expect(proposed.environments.production).toMatchObject({container: 'jutsu-labs', apiPort: 8001});
		expect(proposed.environments.production.host).toBeUndefined();
		expect(proposed.postgres.container).toBe('jutsu-postgres');
		expect(proposed.sync.script).toBe('/mnt/user/appdata/jutsu/scripts/sync_staging.sh');
		// the proposal, saved as a profile, is the lab's two-host layout: status finds both
		const saved = join(tmp, 'proposed.json');
		writeFileSync(saved, result.stdout);
		const status = await run(['status', '--json'], {config: saved});
		expect(status.exitCode).toBe(0);
		expect((JSON.parse(status.stdout) as {containers: {name: string; host: string}[]}).containers.find(c => c.name === 'jutsu-labs-staging')?.host).toBe(B);
	});

	it('every Safety check passes with staging on its own host', async () => {
		const result = await run(['verify', '--json'], {timeoutMs: 180_000});
		const report = JSON.parse(result.stdout) as {checks: {id: string; status: string; detail: string}[]};
		const failed = report.checks.filter(c => c.status === 'fail' || c.status === 'error');
		expect(failed).toEqual([]);
		expect(result.exitCode).toBe(0);
		// the checks that read staging's container and probe its endpoints ran (not skipped)
		const staged = report.checks.filter(c => /staging/u.test(c.id) && c.status === 'pass');
		expect(staged.length).toBeGreaterThan(3);
	});

	it('logs come from the host each container runs on', async () => {
		const staging = await run(['logs', 'staging', '--tail', '3']);
		expect(staging.exitCode).toBe(0);
		expect(staging.stdout).toMatch(/heartbeat env=staging/u);
		const production = await run(['logs', 'production', '--tail', '3']);
		expect(production.stdout).toMatch(/heartbeat env=production/u);
	});

	it('the console over two connections: Dashboard host row, Containers HOST column, staging\'s log from B, Safety all OK, and every other screen', async () => {
		const tui = new TmuxConsole(`jutsu-e2e-two-${process.pid}`, outputs);
		tui.start(`cd ${tmp} && ${process.execPath} ${join(ROOT, 'dist/cli.js')} --config ${profile}`, {width: 160, height: 45, env: {JUTSU_OPS_AUDIT_FILE: AUDIT}});
		try {
			const dashboard = await tui.screen(/health\s+healthy\s+healthy/u);
			expect(dashboard).toContain(`${A} + ${B} (staging)`);
			expect(dashboard).toMatch(/host\s+root@127\.0\.0\.1:2222\s+root@127\.0\.0\.1:2223/u);
			expect(dashboard).toMatch(/container\s+jutsu-labs\s+jutsu-labs-staging/u);
			tui.keys('3');
			const containers = await tui.screen(/jutsu-labs-staging\s+staging\s+root@127\.0\.0\.1:2223/u);
			expect(containers).toMatch(/HOST/u);
			expect(containers).toMatch(/jutsu-labs\s+production\s+root@127\.0\.0\.1:2222/u);
			tui.keys('j');
			await tui.screen(/STAGING · jutsu-labs-staging/u);
			tui.keys('Enter');
			await tui.screen(/restart policy/u);
			tui.keys('l');
			await tui.screen(/heartbeat env=staging/u);
			tui.keys('2');
			const safety = await tui.screen(/(OK|FAILED): \d+ pass/u, 60_000);
			expect(safety).toMatch(/OK: \d+ pass/u);
			tui.keys('7');
			await tui.screen(/market_data/u);
			// the screens whose work is on the main host still work beside the second connection
			tui.keys('5');
			await tui.screen(/schedule: crontab "0 2 \* \* \*" \(cron zone America\/New_York\)/u);
			tui.keys('h');
			await tui.screen(/success/u);
			tui.keys('6');
			await tui.screen(/feature\/demo-banner/u);
			tui.keys('8');
			await tui.screen(/entries, newest first/u);
			tui.keys('9');
			const setup = await tui.screen(/(step\(s\) to do|every step is done) \(dry run: nothing was changed\)/u, 60_000);
			expect(setup).toMatch(/done\s+\d+\. Container jutsu-labs-staging/u);
			expect(setup).not.toMatch(/FAILED/u);
			tui.keys('q');
		} finally {
			tui.kill();
		}
		for (const text of outputs) expect(text).not.toMatch(/did not answer|Unexpected error/u);
	}, 120_000);

	it('the staging host down: production is still listed, the staging host is named, exit 1; it comes back after', async () => {
		const pid = readFileSync(join(LAB_DIR, 'sshd-b.pid'), 'utf8').trim();
		execFileSync('kill', [pid]);
		try {
			const result = await run(['status']);
			expect(result.exitCode).toBe(1);
			expect(result.stdout).toMatch(/jutsu-labs\s+production/u);
			expect(result.stderr).toContain(`${B} (staging) did not answer`);
			expect(result.stdout + result.stderr).not.toMatch(/at .*\.js:\d+/u);
		} finally {
			execFileSync('bash', [UP, '--two-hosts', '--keep-state'], {stdio: 'ignore', timeout: 240_000});
		}
		expect((await run(['status'])).exitCode).toBe(0);
	});

	it('a changed host key on the staging host is refused (production still shown), and known_hosts is left as it was', async () => {
		const profileJson = JSON.parse(readFileSync(profile, 'utf8')) as {environments: {staging: {host: Record<string, unknown>}}};
		const known = join(tmp, 'known_hosts_b');
		const otherKey = join(tmp, 'other_key');
		execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
		const line = `[127.0.0.1]:${env.JUTSU_LAB_B_SSH_PORT ?? '2223'} ${readFileSync(`${otherKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`;
		writeFileSync(known, line);
		profileJson.environments.staging.host.knownHosts = known;
		const changed = join(tmp, 'profile-changed-b.json');
		writeFileSync(changed, JSON.stringify(profileJson));
		const result = await run(['status'], {config: changed});
		expect(result.exitCode).toBe(1);
		expect(result.stderr).toMatch(/HOST KEY CHANGED/u);
		expect(result.stdout).toMatch(/jutsu-labs\s+production/u);
		expect(readFileSync(known, 'utf8')).toBe(line);
	});

	it('update staging pulls and recreates on B; production on A is not touched', async () => {
		const productionId = dockerOn('A', 'inspect --type container -f {{.Id}} jutsu-labs').trim();
		const before = dockerOn('B', 'inspect --type container -f {{.Id}} jutsu-labs-staging').trim();
		// a new :staging: commit to the origin's staging branch; the lab's CI (on A) builds and pushes it
		const sha = await pushStaging();
		const result = await run(['update', 'staging'], {timeoutMs: 240_000});
		expect(result.exitCode).toBe(0);
		expect(result.stdout).toContain('jutsu-labs-staging updated');
		const after = dockerOn('B', 'inspect --type container -f {{.Id}} jutsu-labs-staging').trim();
		expect(after).not.toBe(before);
		expect(dockerOn('B', "inspect --type container -f '{{index .Config.Labels \"org.opencontainers.image.revision\"}}' jutsu-labs-staging").trim()).toBe(sha);
		expect(names('A')).not.toContain('jutsu-labs-staging');
		expect(dockerOn('A', 'inspect --type container -f {{.Id}} jutsu-labs').trim()).toBe(productionId);
		const health = await fetch('http://127.0.0.1:8002/api/health').then(r => r.json()) as {revision?: string};
		expect(health.revision).toBe(sha);
	}, 300_000);

	it('a promotion feature -> staging updates the container on B and verifies it there; the plan names each host', async () => {
		const clone = mkdtempSync(join(tmp, 'work-'));
		execFileSync('git', ['clone', '-q', env.JUTSU_LAB_ORIGIN ?? join(LAB_DIR, 'git', 'jutsu-labs.git'), clone]);
		const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=Ana Dev', '-c', 'user.email=ana@example.com', ...args], {cwd: clone, encoding: 'utf8'}).trim();
		git('checkout', '-q', '-B', 'feature/two-hosts', 'origin/staging');
		writeFileSync(join(clone, 'TWO_HOSTS.md'), 'staging runs on its own host\n');
		git('add', '-A');
		git('commit', '-q', '-m', 'Note about the two hosts');
		git('push', '-q', 'origin', 'feature/two-hosts:feature/two-hosts');
		const withRepo = JSON.parse(readFileSync(profile, 'utf8')) as {repo: {path: string}};
		withRepo.repo.path = clone;
		const config = join(tmp, 'profile-promote.json');
		writeFileSync(config, JSON.stringify(withRepo));
		const productionId = dockerOn('A', 'inspect --type container -f {{.Id}} jutsu-labs').trim();

		const plan = await run(['promote', 'feature/two-hosts', '--to', 'staging', '--dry-run'], {config});
		expect(plan.stdout).toContain(`[${B}] docker pull`);
		expect(plan.stdout).toContain(`[${A}] mkdir`);
		const result = await run(['promote', 'feature/two-hosts', '--to', 'staging', '--ci-timeout', '90'], {config, timeoutMs: 300_000});
		expect(result.exitCode).toBe(0);
		// the origin's staging branch now holds the feature, and that commit is what B's staging serves
		const merged = execFileSync('git', ['--git-dir', env.JUTSU_LAB_ORIGIN ?? join(LAB_DIR, 'git', 'jutsu-labs.git'), 'rev-parse', 'refs/heads/staging'], {encoding: 'utf8'}).trim();
		expect(execFileSync('git', ['--git-dir', env.JUTSU_LAB_ORIGIN ?? join(LAB_DIR, 'git', 'jutsu-labs.git'), 'merge-base', '--is-ancestor', git('rev-parse', 'HEAD'), merged]).toString()).toBe('');
		const health = await fetch('http://127.0.0.1:8002/api/health').then(r => r.json()) as {revision?: string};
		expect(health.revision).toBe(merged);
		expect(names('B')).toEqual(['jutsu-labs-staging']);
		expect(names('A')).not.toContain('jutsu-labs-staging');
		expect(dockerOn('A', 'inspect --type container -f {{.Id}} jutsu-labs').trim()).toBe(productionId);
		execFileSync('git', ['--git-dir', env.JUTSU_LAB_ORIGIN ?? join(LAB_DIR, 'git', 'jutsu-labs.git'), 'update-ref', '-d', 'refs/heads/feature/two-hosts']);
	}, 320_000);

	it('setup staging re-creates a missing staging container on B from production\'s config on A, with its own SECRET_KEY', async () => {
		dockerOn('B', 'rm -f jutsu-labs-staging');
		const result = await run(['setup', 'staging', '--yes', '--ci-timeout', '60'], {timeoutMs: 400_000});
		expect(result.stdout).toMatch(/Container jutsu-labs-staging/u);
		expect(result.exitCode).toBe(0);
		expect(names('B')).toEqual(['jutsu-labs-staging']);
		expect(names('A')).not.toContain('jutsu-labs-staging');
		const envNames = dockerOn('B', "inspect --type container --format '{{range .Config.Env}}{{println .}}{{end}}' jutsu-labs-staging")
			.split('\n').filter(l => /^(ENVIRONMENT|SCHWAB_ENABLED|PAPER_TRADING_ONLY|POSTGRES_DATABASE)=/u.test(l)).sort();
		expect(envNames).toEqual(['ENVIRONMENT=staging', 'PAPER_TRADING_ONLY=true', 'POSTGRES_DATABASE=jutsu_labs_staging', 'SCHWAB_ENABLED=false']);
		const stagingKey = secretHash('B', 'jutsu-labs-staging');
		expect(stagingKey).not.toBe(secretHash('A', 'jutsu-labs'));
		expect(stagingKey).not.toBe(createHash('sha256').update('').digest('hex'));
		// no production credential reached the staging container
		expect(dockerOn('B', "inspect --type container --format '{{range .Config.Env}}{{println .}}{{end}}' jutsu-labs-staging")).not.toMatch(/^SCHWAB_CLIENT/mu);
		const verify = await run(['verify'], {timeoutMs: 180_000});
		expect(verify.exitCode).toBe(0);
	}, 420_000);
});

async function pushStaging(): Promise<string> {
	const dir = mkdtempSync(join(tmp, 'clone-'));
	const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@lab', ...args], {cwd: dir, encoding: 'utf8'}).trim();
	execFileSync('git', ['clone', '-q', '-b', 'staging', env.JUTSU_LAB_ORIGIN ?? join(LAB_DIR, 'git', 'jutsu-labs.git'), dir]);
	writeFileSync(join(dir, 'CHANGE'), `${Date.now()}\n`);
	git('add', '-A');
	git('commit', '-q', '-m', 'e2e: a change for staging on host B');
	const sha = git('rev-parse', 'HEAD');
	git('push', '-q', 'origin', 'staging');
	for (let i = 0; i < 480; i++) {
		if (readFileSync(join(LAB_DIR, 'ci.log'), 'utf8').includes(`done sha=${sha}`)) return sha;
		if (readFileSync(join(LAB_DIR, 'ci.log'), 'utf8').includes(`failed sha=${sha}`)) throw new Error('the lab CI failed');
		await new Promise(resolve => setTimeout(resolve, 250));
	}
	throw new Error(`the lab CI did not push :staging for ${sha}`);
}
