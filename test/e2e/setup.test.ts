import {execFileSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {readFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync} from 'node:fs';
import {createServer, type Server} from 'node:net';
import {join} from 'node:path';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {XMLParser, XMLValidator} from 'fast-xml-parser';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {cli, expectNoSecrets, LAB_DIR, labEnv, labProfile, onHost, ROOT, tempProfile} from '../support/lab.js';
import {TmuxConsole} from '../support/tmux.js';

/**
 * `jutsu-ops setup staging` against the lab started with production only (up.sh --production-only): a dry run
 * changes nothing; a run whose staging port is taken stops at the container step with a stated state; after
 * freeing the port a re-run completes; then every Safety check passes, and a second run changes nothing.
 * The setup runs use a profile whose unraid.templatesDir is a folder under the lab dir (the lab's stand-in for
 * /boot/config/plugins/dockerMan/templates-user), so the Unraid template step writes my-<staging>.xml there.
 * afterAll restores the full lab (up.sh) and removes that folder.
 */

const env = labEnv();
const lab = labProfile();
const PG = env.JUTSU_LAB_PG_CONTAINER ?? 'jutsu-postgres';
const STAGING = lab.environments.staging.container as string;
const PRODUCTION = lab.environments.production.container as string;
const AUDIT = join(LAB_DIR, 'e2e-setup-audit.jsonl');
const BOOT = join(LAB_DIR, 'boot');
const TEMPLATES = join(BOOT, 'config/plugins/dockerMan/templates-user');
const TEMPLATE = join(TEMPLATES, `my-${STAGING}.xml`);
const outputs: string[] = [];
let blocker: Server | undefined;

async function setup(args: string[], config = unraidProfile) {
	const result = await cli(['setup', 'staging', '--ci-timeout', '120', ...args], {config, env: {JUTSU_OPS_AUDIT_FILE: AUDIT}, timeoutMs: 300_000});
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
		onHost(`find ${BOOT} | sort; md5sum ${TEMPLATES}/* 2>/dev/null || true`),
	].join('\n---\n');
}

const hashOf = (container: string) => onHost(`docker inspect --type container --format '{{range .Config.Env}}{{println .}}{{end}}' ${container} | sed -n 's/^SECRET_KEY=//p' | sha256sum | cut -c1-64`).trim();

beforeAll(() => {
	execFileSync('bash', [join(ROOT, 'test/lab/up.sh'), '--production-only'], {stdio: 'ignore', timeout: 170_000});
}, 180_000);

const tmp = mkdtempSync(join(tmpdir(), 'jutsu-e2e-setup-'));
/** The lab profile with unraid.templatesDir under the lab dir (created in beforeAll); and one whose folder does not exist. */
const unraidProfile = join(tmp, 'profile-unraid.json');
const plainProfile = join(tmp, 'profile-plain.json');

/** The origin's main as before the seed's Task 1.2: its workflow builds only main (no staging trigger). */
function originBeforeTask12(): string {
	const work = mkdtempSync(join(tmpdir(), 'jutsu-e2e-setup-wf-'));
	const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@lab', ...args], {cwd: work, encoding: 'utf8'}).trim();
	execFileSync('git', ['clone', '-q', '-b', 'main', lab.repo.origin, work]);
	const file = join(work, '.github/workflows/docker-publish.yml');
	const text = readFileSync(file, 'utf8');
	writeFileSync(file, text.split('\n').filter(l => !/^\s*-\s*staging\b/u.test(l)).join('\n'));
	git('commit', '-q', '-am', 'ci: only main builds (before Task 1.2) [skip ci]');
	git('push', '-q', 'origin', 'main');
	rmSync(work, {recursive: true, force: true});
	return text;
}

beforeAll(() => {
	originBeforeTask12();
	mkdirSync(TEMPLATES, {recursive: true});
	writeFileSync(unraidProfile, JSON.stringify({...lab, unraid: {templatesDir: TEMPLATES}}, null, 2));
	writeFileSync(plainProfile, JSON.stringify({...lab, unraid: {templatesDir: join(tmp, 'no-boot/config/plugins/dockerMan/templates-user')}}, null, 2));
});

interface TemplateConfig {Name: string; Target: string; Default: string; Mode: string; Type: string; Mask: string; value: string}
/** The template as dockerMan reads it (values decoded). Never print its values: they hold the secrets. */
function readTemplate() {
	const xml = readFileSync(TEMPLATE, 'utf8');
	expect(XMLValidator.validate(xml)).toBe(true);
	const parser = new XMLParser({ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, parseAttributeValue: false, trimValues: false, htmlEntities: true, textNodeName: 'value', isArray: name => name === 'Config'});
	const doc = parser.parse(xml) as {Container: Record<string, string> & {Config: TemplateConfig[]}};
	const configs = doc.Container.Config.map(c => ({...c, value: c.value ?? ''}));
	return {xml, container: doc.Container, configs, of: (type: string) => configs.filter(c => c.Type === type)};
}

afterAll(() => {
	blocker?.close();
	for (const ref of onHost(`git --git-dir=${lab.repo.origin} for-each-ref --format='%(refname)' refs/heads/feature/`).split('\n').filter(Boolean)) onHost(`git --git-dir=${lab.repo.origin} update-ref -d ${ref}`);
	rmSync('/tmp/jutsu-ops/promote.lock', {recursive: true, force: true});
	// the schedule setup installed (up.sh rewrites only its own crontab block)
	onHost(`crontab -l 2>/dev/null | sed '/# jutsu-ops sync schedule BEGIN/,/# jutsu-ops sync schedule END/d' | crontab -`);
	rmSync(tmp, {recursive: true, force: true});
	rmSync(BOOT, {recursive: true, force: true});
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
		// CI: the change to the workflow as a diff against the origin's main; nothing pushed yet
		expect(result.stdout).toMatch(/would run\s+CI builds :staging from staging/u);
		expect(result.stdout).toContain('--- a/.github/workflows/docker-publish.yml (origin/main)');
		expect(result.stdout).toContain('+      - staging   # Build and tag as \'staging\'');
		expect(result.stdout).toContain('commit "ci: build :staging from staging (jutsu-ops setup staging)" on top of origin/main');
		expect(result.stdout).toMatch(/would run\s+Database jutsu_labs_staging/u);
		expect(result.stdout).toContain('CREATE DATABASE "jutsu_labs_staging" WITH OWNER "jutsu" TEMPLATE template0 ENCODING');
		expect(result.stdout).toMatch(/would run\s+Container jutsu-labs-staging/u);
		expect(result.stdout).toContain('SECRET_KEY=<openssl rand -hex 32 on the host, never shown>');
		expect(result.stdout).toMatch(/would run\s+Unraid template my-jutsu-labs-staging\.xml/u);
		expect(result.stdout).toContain(`write ${TEMPLATE}`);
		expect(result.stdout).toContain('Dry run: nothing was changed.');
		expect(hostState()).toBe(before);
		expect(readdirSync(TEMPLATES)).toEqual([]);
	});

	it('the Setup screen (9) in a terminal: S shows the first step to do with its preview and asks; any key but y stops and nothing changes', async () => {
		const before = hostState();
		const frames: string[] = [];
		const tui = new TmuxConsole(`jutsu-e2e-setup-${process.pid}`, frames);
		tui.start(`cd ${tmp} && ${process.execPath} ${join(ROOT, 'dist/cli.js')} --config ${unraidProfile}`, {width: 150, height: 60, env: {JUTSU_OPS_AUDIT_FILE: AUDIT}});
		try {
			await tui.screen(/PRODUCTION\s+STAGING/u);
			tui.keys('9');
			await tui.screen(/step\(s\) to do \(dry run: nothing was changed\)/u, 60_000);
			tui.keys('S');
			const asked = await tui.screen(/Run this step\? y runs it/u, 60_000);
			expect(asked).toContain('Next: Branch staging on origin, from main');
			expect(asked).toContain('git push origin');
			tui.keys('n');
			const stopped = await tui.screen(/setup stopped/u);
			expect(stopped).toMatch(/declined\s+1\. Branch staging on origin, from main/u);
			tui.keys('q');
		} finally {
			tui.kill();
		}
		for (const frame of frames) expectNoSecrets(frame);
		expect(hostState()).toBe(before);
	}, 150_000);

	it('the staging port taken: stops at the container step, says what was and was not done; after freeing it a re-run completes', async () => {
		blocker = createServer(() => undefined);
		await new Promise<void>(resolve => blocker!.listen(lab.environments.staging.apiPort, '127.0.0.1', resolve));
		const failed = await setup(['--yes']);
		expect(failed.exitCode).toBe(1);
		expect(failed.stdout).toMatch(/ran\s+Branch staging/u);
		expect(failed.stdout).toMatch(/ran\s+CI builds :staging from staging/u);
		// pushed to both branches: each branch's own workflow now builds its tag
		for (const branch of ['main', 'staging']) {
			expect(onHost(`git --git-dir=${lab.repo.origin} show refs/heads/${branch}:.github/workflows/docker-publish.yml`)).toMatch(/^\s+- staging\s+# Build and tag as 'staging'$/mu);
			expect(onHost(`git --git-dir=${lab.repo.origin} log -1 --format=%s refs/heads/${branch}`).trim()).toBe('ci: build :staging from staging (jutsu-ops setup staging)');
		}
		expect(failed.stdout).toMatch(/ran\s+Database jutsu_labs_staging/u);
		expect(failed.stdout).toMatch(/FAILED\s+Container jutsu-labs-staging/u);
		expect(failed.stdout).toContain('Not done: template, sync, safety.');
		expect(existsSync(TEMPLATE)).toBe(false);
		expect(onHost(`docker inspect --type container -f '{{.State.Status}}' ${STAGING}`).trim()).not.toBe('running');

		await new Promise<void>(resolve => blocker!.close(() => resolve()));
		blocker = undefined;
		const again = await setup(['--yes']);
		expect(again.exitCode, again.stdout + again.stderr).toBe(0);
		expect(again.stdout).toMatch(/done\s+Branch staging/u);
		expect(again.stdout).toMatch(/done\s+CI builds :staging from staging/u);
		expect(again.stdout).toMatch(/done\s+Database jutsu_labs_staging/u);
		expect(again.stdout).toMatch(/ran\s+Container jutsu-labs-staging/u);
		expect(again.stdout).toMatch(/ran\s+Unraid template my-jutsu-labs-staging\.xml/u);
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

	it('the Unraid template (my-jutsu-labs-staging.xml) describes the running staging container; its SECRET_KEY is staging\'s own', () => {
		expect(statSync(TEMPLATE).mode & 0o777).toBe(0o600);
		expect(readdirSync(TEMPLATES)).toEqual([`my-${STAGING}.xml`]);
		const {container, of} = readTemplate();
		expect(container.version).toBe('2');
		expect(container.Name).toBe(STAGING);
		expect(container.Repository).toBe(`${lab.environments.staging.image}:${lab.environments.staging.tag}`);
		expect(container.Repository).toMatch(/:staging$/u);
		expect(container.Network).toBe('bridge');
		expect(container.ExtraParams).toBe('--restart unless-stopped');
		// the lab publishes on 127.0.0.1: the template keeps the host IP (Unraid passes the value to docker -p)
		expect(of('Port').map(p => [p.Target, p.Mode, p.value]).sort()).toEqual([['3000', 'tcp', '127.0.0.1:3002'], ['8000', 'tcp', '127.0.0.1:8002']]);
		const paths = of('Path');
		expect(paths.length).toBeGreaterThan(0);
		for (const p of paths) expect(p.value).toMatch(/^\/mnt\/user\/appdata\/jutsu-staging\//u);
		expect(paths.filter(p => /token/iu.test(p.value + p.Target))).toEqual([]);
		const vars = new Map(of('Variable').map(v => [v.Target, v]));
		expect(vars.get('ENVIRONMENT')?.value).toBe('staging');
		expect(vars.get('SCHWAB_ENABLED')?.value).toBe('false');
		expect(vars.get('PAPER_TRADING_ONLY')?.value).toBe('true');
		expect(vars.has('PATH')).toBe(false);
		const key = vars.get('SECRET_KEY');
		expect(key?.Mask).toBe('true');
		expect(key?.Default === '').toBe(true);
		// hashOf hashes the value sed printed, newline included
		const hash = createHash('sha256').update(`${key?.value ?? ''}\n`).digest('hex');
		expect(hash === hashOf(STAGING)).toBe(true);
		expect(hash === hashOf(PRODUCTION)).toBe(false);
		for (const name of ['POSTGRES_PASSWORD', 'ADMIN_PASSWORD']) if (vars.has(name)) expect(vars.get(name)?.Mask).toBe('true');
	});

	it('a second run changes nothing: every step is done and skipped, the template byte-identical', async () => {
		const before = hostState();
		const template = readFileSync(TEMPLATE);
		const result = await setup(['--yes']);
		expect(result.exitCode, result.stdout).toBe(0);
		for (const title of ['Branch staging', 'CI builds :staging', 'Database jutsu_labs_staging', 'Container jutsu-labs-staging', 'Unraid template my-jutsu-labs-staging.xml', 'Safe sync script']) {
			expect(result.stdout).toMatch(new RegExp(`done\\s+${title.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&')}`, 'u'));
		}
		expect(result.stdout).toContain(`${TEMPLATE} exists: the web UI manages ${STAGING}`);
		expect(hostState()).toBe(before);
		expect(readFileSync(TEMPLATE).equals(template)).toBe(true);
	});

	it('on a host without the templates folder the template step is done: "not an Unraid host"', async () => {
		const result = await setup(['--dry-run'], plainProfile);
		expect(result.exitCode, result.stdout).toBe(0);
		expect(result.stdout).toMatch(/done\s+Unraid template my-jutsu-labs-staging\.xml\n\s+not an Unraid host \(no \S+\/no-boot\/config\/plugins\/dockerMan\/templates-user\); Docker's own config is kept/u);
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
		expect(audit).toContain('"action":"setup template"');
		// every masked value the template holds (SECRET_KEY, POSTGRES_PASSWORD, ...) stayed on the host
		const masked = readTemplate().configs.filter(c => c.Mask === 'true').map(c => c.value).filter(v => v.length >= 4);
		expect(masked.length).toBeGreaterThanOrEqual(2);
		expect(masked.includes(secret)).toBe(true);
		for (const text of [...outputs, audit]) {
			expect(text.includes(secret)).toBe(false);
			expect(masked.some(v => text.includes(v))).toBe(false);
			expectNoSecrets(text);
		}
	});
});
