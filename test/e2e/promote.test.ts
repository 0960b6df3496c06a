import {execFileSync, spawn} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {CLI, cli, expectNoSecrets, labEnv, onHost, ROOT, tempProfile} from '../support/lab.js';

/**
 * Promotion against the lab: its bare origin (post-receive = fake CI), registry and containers.
 * Run under the lab lock: flock /tmp/jutsu-e2e.lock npx vitest run test/e2e/promote.test.ts
 * The lab is put back as built before and after (test/lab/up.sh resets origin refs, registry tags, containers).
 */

const lab = labEnv();
const ORIGIN = lab.JUTSU_LAB_ORIGIN ?? '/tmp/jutsu-lab/git/jutsu-labs.git';
const REGISTRY = lab.JUTSU_LAB_REGISTRY_URL ?? 'http://127.0.0.1:5000';
const LOCK = '/tmp/jutsu-ops/promote.lock';
const tmp = mkdtempSync(join(tmpdir(), 'jutsu-e2e-promote-'));
const clone = join(tmp, 'clone');
const state = join(tmp, 'state');
const audit = join(tmp, 'audit.jsonl');
let profile = '';

const env = () => ({JUTSU_OPS_STATE_DIR: state, JUTSU_OPS_AUDIT_FILE: audit, JUTSU_OPS_CI_POLL_MS: '500'});
const promote = (args: string[], timeoutMs = 150_000) => cli(['promote', ...args], {config: profile, env: env(), timeoutMs});

function git(...args: string[]): string {
	return execFileSync('git', ['-C', clone, ...args], {encoding: 'utf8', env: {...process.env, GIT_AUTHOR_NAME: 'Ana Dev', GIT_AUTHOR_EMAIL: 'ana@example.com', GIT_COMMITTER_NAME: 'Ana Dev', GIT_COMMITTER_EMAIL: 'ana@example.com'}}).trim();
}

function originRefs(): string {
	return execFileSync('git', ['--git-dir', ORIGIN, 'for-each-ref', '--format=%(refname) %(objectname)'], {encoding: 'utf8'}).trim();
}

function originHead(branch: string): string {
	return execFileSync('git', ['--git-dir', ORIGIN, 'rev-parse', `refs/heads/${branch}`], {encoding: 'utf8'}).trim();
}

function originContains(branch: string, commit: string): boolean {
	try {
		execFileSync('git', ['--git-dir', ORIGIN, 'merge-base', '--is-ancestor', commit, `refs/heads/${branch}`]);
		return true;
	} catch {
		return false;
	}
}

function registryDigest(tag: string): string {
	return onHost(`curl -sSI -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' ${REGISTRY}/v2/ankugo/jutsu-labs/manifests/${tag} | tr -d '\\r' | awk 'tolower($1)=="docker-content-digest:"{print $2}'`).trim();
}

function containerIds(): string {
	return onHost('docker inspect --format "{{.Name}} {{.Id}} {{.Image}}" jutsu-labs jutsu-labs-staging').trim();
}

function served(port: number): {status: string; revision: string} {
	return JSON.parse(onHost(`curl -sS --max-time 5 http://127.0.0.1:${port}/api/health`)) as {status: string; revision: string};
}

function lockHeld(): boolean {
	return existsSync(LOCK);
}

/** A feature branch from origin/main with one commit, pushed. */
function featureBranch(name: string, files: Record<string, string>, message: string, options: {push?: boolean} = {}): string {
	git('checkout', '-q', '-B', name, 'origin/main');
	for (const [file, text] of Object.entries(files)) writeFileSync(join(clone, file), text);
	git('add', '-A');
	git('commit', '-q', '-m', message);
	if (options.push !== false) git('push', '-q', 'origin', `${name}:${name}`);
	return git('rev-parse', 'HEAD');
}

function auditActions(): {action?: string; detail?: string; outcome?: string}[] {
	if (!existsSync(audit)) return [];
	return readFileSync(audit, 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l) as {kind: string; action?: string; detail?: string; outcome?: string}).filter(e => e.kind === 'action');
}

function restoreLab(): void {
	for (const ref of originRefs().split('\n').map(l => l.split(' ')[0]!).filter(r => r.startsWith('refs/heads/feature/'))) {
		execFileSync('git', ['--git-dir', ORIGIN, 'update-ref', '-d', ref]);
	}
	rmSync(LOCK, {recursive: true, force: true});
	execFileSync('bash', [join(ROOT, 'test/lab/up.sh')], {stdio: 'ignore', timeout: 300_000});
}

beforeAll(() => {
	restoreLab();
	execFileSync('git', ['clone', '-q', ORIGIN, clone]);
	git('config', 'user.name', 'Ana Dev');
	git('config', 'user.email', 'ana@example.com');
	profile = tempProfile(p => {
		p.repo.path = clone;
	});
	mkdirSync(state, {recursive: true});
}, 300_000);

afterAll(() => {
	restoreLab();
}, 300_000);

describe('promote against the lab', () => {
	it('dry run prints every step\'s commands and changes nothing: git refs, registry digests, containers', async () => {
		featureBranch('feature/hello', {'HELLO.md': 'hello\n'}, 'Add a greeting');
		const before = {refs: originRefs(), staging: registryDigest('staging'), latest: registryDigest('latest'), containers: containerIds()};
		const result = await promote(['feature/hello', '--to', 'production', '--dry-run']);
		expect(result.exitCode).toBe(0);
		for (const n of ['1. Preflight', '2. Merge into staging', '3. Wait for CI', '4. Update jutsu-labs-staging', '5. Verify staging', '6. Gate', '7. Merge staging into main', '8. Wait for CI', '9. Update jutsu-labs', '10. Verify production']) {
			expect(result.stdout).toContain(n);
		}
		expect(result.stdout).toContain('merge-tree --write-tree');
		expect(result.stdout).toContain('docker pull 127.0.0.1:5000/ankugo/jutsu-labs:staging');
		expect(result.stdout).toContain('no promotion lock is held');
		expect({refs: originRefs(), staging: registryDigest('staging'), latest: registryDigest('latest'), containers: containerIds()}).toEqual(before);
		expect(lockHeld()).toBe(false);
		expect(auditActions().filter(a => a.action?.startsWith('promote.'))).toEqual([]);
	});

	it('refuses a dirty working tree and changes nothing', async () => {
		git('checkout', '-q', 'feature/hello');
		writeFileSync(join(clone, 'README.md'), 'edited but not committed\n');
		const refs = originRefs();
		const result = await promote(['feature/hello', '--to', 'staging']);
		expect(result.exitCode).toBe(1);
		expect(result.stderr).toContain('has uncommitted changes (README.md)');
		expect(result.stderr).toContain('Nothing was changed.');
		expect(result.stderr).toContain('Commit or stash them');
		expect(originRefs()).toBe(refs);
		expect(lockHeld()).toBe(false);
		git('checkout', '--', 'README.md');
	});

	it('refuses while another promotion holds the lock on the host, naming who, since when and which branch', async () => {
		mkdirSync(LOCK, {recursive: true});
		writeFileSync(join(LOCK, 'owner.json'), `${JSON.stringify({id: 'other-123', who: 'bo@laptop', since: '2026-12-04T09:00:00Z', branch: 'feature/other', target: 'staging'})}\n`);
		const refs = originRefs();
		try {
			const result = await promote(['feature/hello', '--to', 'staging']);
			expect(result.exitCode).toBe(1);
			expect(result.stderr).toContain('Another promotion holds the lock');
			expect(result.stderr).toContain('by bo@laptop since 2026-12-04T09:00:00Z (promotion other-123 of feature/other to staging)');
			expect(originRefs()).toBe(refs);
			// The other promotion's lock is left alone.
			expect(JSON.parse(readFileSync(join(LOCK, 'owner.json'), 'utf8')).id).toBe('other-123');
		} finally {
			rmSync(LOCK, {recursive: true, force: true});
		}
	});

	it('refuses a branch that conflicts with staging, naming the file, and changes nothing', async () => {
		// staging moves on (no CI build) with a README change...
		git('checkout', '-q', '-B', 'tmp-staging', 'origin/staging');
		writeFileSync(join(clone, 'README.md'), 'staging wording\n');
		git('commit', '-q', '-am', 'Reword the README [skip ci]');
		git('push', '-q', 'origin', 'tmp-staging:staging');
		// ...and the feature changes the same lines differently.
		featureBranch('feature/clash', {'README.md': 'feature wording\n'}, 'Reword the README differently');
		const refs = originRefs();
		const result = await promote(['feature/clash', '--to', 'staging']);
		expect(result.exitCode).toBe(1);
		expect(result.stderr).toContain('feature/clash conflicts with staging in 1 file: README.md');
		expect(result.stderr).toContain('Nothing was changed.');
		expect(originRefs()).toBe(refs);
		expect(lockHeld()).toBe(false);
	});

	it('promotes a feature branch to staging and then production: both serve the merged commit, main and staging hold the feature, the audit log holds each step', async () => {
		const feature = originHead('feature/hello');
		const prodBefore = served(8001).revision;
		const toStaging = await promote(['feature/hello', '--to', 'staging', '--ci-timeout', '60']);
		expect(toStaging.stderr).toBe('');
		expect(toStaging.exitCode).toBe(0);
		expect(toStaging.stdout).toContain('Promotion done: feature/hello is in staging.');
		const stagingCommit = originHead('staging');
		expect(originContains('staging', feature)).toBe(true);
		expect(served(8002)).toEqual({status: 'ok', revision: stagingCommit});
		expect(served(8001).revision).toBe(prodBefore);
		expect(lockHeld()).toBe(false);

		// Production needs --yes-i-know; without it nothing happens.
		const refused = await promote(['feature/hello', '--to', 'production']);
		expect(refused.exitCode).toBe(2);
		expect(refused.stderr).toContain('needs --yes-i-know');

		const toProduction = await promote(['feature/hello', '--to', 'production', '--yes-i-know', '--ci-timeout', '60']);
		expect(toProduction.stderr).toBe('');
		expect(toProduction.exitCode).toBe(0);
		expect(toProduction.stdout).toContain('already in staging');
		expect(toProduction.stdout).toContain('confirmed by --yes-i-know');
		const mainCommit = originHead('main');
		expect(mainCommit).toBe(stagingCommit);
		expect(originContains('main', feature)).toBe(true);
		expect(served(8001)).toEqual({status: 'ok', revision: stagingCommit});
		expect(served(8002)).toEqual({status: 'ok', revision: stagingCommit});
		expect(lockHeld()).toBe(false);

		const actions = auditActions();
		for (const step of ['preflight', 'merge-staging', 'wait-ci-staging', 'update-staging', 'verify-staging', 'gate', 'merge-main', 'wait-ci-production', 'update-production', 'verify-production']) {
			expect(actions.some(a => a.action === `promote.${step}` && a.detail?.startsWith('done'))).toBe(true);
		}
		expect(actions.some(a => a.action === 'promote.gate' && a.detail?.includes('production gate confirmed'))).toBe(true);
		expect(actions.some(a => a.action === 'promote.decision' && a.detail?.includes('gh not used'))).toBe(true);
		const commands = readFileSync(audit, 'utf8');
		expect(commands).toContain('merge-tree --write-tree');
		expect(commands).toContain('push --porcelain');
		expectNoSecrets(commands + toStaging.stdout + toProduction.stdout);
	});

	it('killed with -9 while waiting for CI, then run again: resumes at the wait with the lock it still holds, and finishes', async () => {
		const feature = featureBranch('feature/resume', {'RESUME.md': 'resume me\n'}, 'Add a resume note');
		const child = spawn(process.execPath, [CLI, 'promote', 'feature/resume', '--to', 'staging', '--ci-timeout', '60', '--config', profile], {env: {...process.env, NO_COLOR: '1', ...env()}, stdio: ['ignore', 'pipe', 'pipe']});
		let out = '';
		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`never reached the CI wait:\n${out}`)), 60_000);
			child.stdout.on('data', (chunk: Buffer) => {
				out += chunk.toString();
				if (out.includes('[3/5] Wait for CI')) {
					clearTimeout(timer);
					child.kill('SIGKILL');
					resolve();
				}
			});
		});
		await new Promise(resolve => child.on('exit', resolve));
		const journalFile = readFileSync(join(state, 'promotions', execFileSync('ls', [join(state, 'promotions')], {encoding: 'utf8'}).split('\n').filter(f => f.endsWith('.json')).map(f => ({f, j: JSON.parse(readFileSync(join(state, 'promotions', f), 'utf8')) as {branch: string}})).find(x => x.j.branch === 'feature/resume')!.f), 'utf8');
		const journal = JSON.parse(journalFile) as {id: string; status: string; steps: {id: string; status: string}[]};
		expect(journal.status).toBe('running');
		expect(journal.steps.find(s => s.id === 'wait-ci-staging')?.status).toBe('running');
		expect(JSON.parse(readFileSync(join(LOCK, 'owner.json'), 'utf8')).id).toBe(journal.id);
		const merged = originHead('staging');
		expect(originContains('staging', feature)).toBe(true);

		// A different branch is refused while this one is unfinished.
		const other = await promote(['feature/hello', '--to', 'staging']);
		expect(other.exitCode).toBe(1);
		expect(other.stderr).toContain('The promotion of feature/resume to staging is unfinished');

		const resumed = await promote(['feature/resume', '--to', 'staging', '--ci-timeout', '60']);
		expect(resumed.exitCode).toBe(0);
		expect(resumed.stdout).toContain(`Resuming feature/resume to staging on root@127.0.0.1:2222 (promotion ${journal.id})`);
		expect(resumed.stdout).toContain('[3/5] Wait for CI: :staging carries the merge (re-checking after an interruption)');
		expect(resumed.stdout).not.toContain('[1/5]');
		expect(resumed.stdout).not.toContain('[2/5]');
		expect(originHead('staging')).toBe(merged);
		expect(served(8002)).toEqual({status: 'ok', revision: merged});
		expect(lockHeld()).toBe(false);
		expect(auditActions().some(a => a.action === 'promote.resume' && a.detail?.includes('lock resumed'))).toBe(true);
	});

	it('CI never pushes ([skip ci]): times out saying the merge is pushed and no container changed; the lock is released', async () => {
		featureBranch('feature/skip', {'SKIP.md': 'no build\n'}, 'Docs only [skip ci]');
		const stagingServed = served(8002).revision;
		const containers = containerIds();
		const result = await promote(['feature/skip', '--to', 'staging', '--ci-timeout', '8']);
		expect(result.exitCode).toBe(1);
		expect(result.stderr).toMatch(/CI did not push 127\.0\.0\.1:5000\/ankugo\/jutsu-labs:staging for [0-9a-f]{12} within 8 s/u);
		expect(result.stderr).toContain('The merge is pushed; no container was changed.');
		expect(originContains('staging', originHead('feature/skip'))).toBe(true);
		expect(served(8002).revision).toBe(stagingServed);
		expect(containerIds()).toBe(containers);
		expect(lockHeld()).toBe(false);
	});

	it('verification failing after a healthy update offers the rollback; --rollback puts staging back on the previous image', async () => {
		const feature = featureBranch('feature/verify-fail', {'VERIFY.md': 'new\n'}, 'A change staging will fail to verify');
		const before = served(8002).revision;
		// A safety fault the update cannot fix: the 2 AM sync schedule disappears from the crontab.
		const crontab = onHost('crontab -l');
		onHost('crontab -l | grep -v sync_staging.sh | crontab -');
		try {
			const result = await promote(['feature/verify-fail', '--to', 'staging', '--ci-timeout', '60']);
			expect(result.exitCode).toBe(1);
			expect(result.stderr).toContain('Promotion failed at verify-staging');
			expect(result.stderr).toMatch(/safety check(s)? failed for staging: Sync scheduled at 02:00/u);
			expect(result.stderr).toContain(`Roll back to the previous image (revision ${before.slice(0, 12)}): jutsu-ops promote --rollback`);
			const merged = originHead('staging');
			expect(originContains('staging', feature)).toBe(true);
			expect(served(8002).revision).toBe(merged);
			expect(lockHeld()).toBe(false);
		} finally {
			writeFileSync(join(tmp, 'crontab'), crontab);
			onHost(`crontab ${join(tmp, 'crontab')}`);
		}
		const rollback = await promote(['--rollback']);
		expect(rollback.stderr).toBe('');
		expect(rollback.exitCode).toBe(0);
		expect(rollback.stdout).toContain('jutsu-labs-staging is back on the image it ran before the promotion.');
		expect(served(8002)).toEqual({status: 'ok', revision: before});
		expect(onHost('docker inspect --format "{{.Config.Image}} {{.State.Health.Status}}" jutsu-labs-staging').trim()).toMatch(/^127\.0\.0\.1:5000\/ankugo\/jutsu-labs:staging (healthy|starting)$/u);
		expect(onHost('docker ps -a --format "{{.Names}}"')).not.toContain('jutsu-labs-staging-jutsu-failed');
		expect(auditActions().some(a => a.action === 'promote.rollback' && a.outcome === 'ok')).toBe(true);
		// Nothing is left to roll back.
		const again = await promote(['--rollback']);
		expect(again.exitCode).toBe(2);
		expect(again.stderr).toContain('already rolled back');
	});

	it('a new image that never becomes healthy (BREAK_HEALTH) is rolled back: staging serves the previous revision, the promotion shows as failed', async () => {
		featureBranch('feature/broken', {BREAK_HEALTH: 'yes\n'}, 'Break the health endpoint');
		const before = served(8002).revision;
		const result = await promote(['feature/broken', '--to', 'staging', '--ci-timeout', '60', '--health-timeout', '12']);
		expect(result.exitCode).toBe(1);
		expect(result.stderr).toContain('Promotion failed at update-staging');
		expect(result.stderr).toContain('did not become healthy');
		expect(result.stderr).toContain(`jutsu-labs-staging was rolled back to its previous image (revision ${before.slice(0, 12)})`);
		expect(served(8002)).toEqual({status: 'ok', revision: before});
		expect(lockHeld()).toBe(false);
		expect(auditActions().some(a => a.action === 'rollback' && a.outcome === 'ok')).toBe(true);
	});
});
