import {execFileSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {createServer, type Server} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {cli, expectNoSecrets, LAB_DIR, labProfile, onHost, tempProfile} from '../support/lab.js';
import {TmuxConsole} from '../support/tmux.js';

const tmp = mkdtempSync(join(tmpdir(), 'jutsu-e2e-'));

function auditCommands(file: string): string[] {
	if (!existsSync(file)) return [];
	return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l) as {kind: string; command?: string}).filter(e => e.kind === 'command').map(e => e.command ?? '');
}

describe('status against the lab', () => {
	it('lists both containers with their tags, environments, health and ports as JSON', async () => {
		const result = await cli(['status', '--json']);
		expect(result.exitCode).toBe(0);
		const data = JSON.parse(result.stdout) as {host: string; containers: {name: string; environment: string | null; tag: string; state: string; health: string; ports: {hostPort: string; hostIp: string}[]; revision: string | null}[]};
		expect(data.host).toBe('root@127.0.0.1:2222');
		const prod = data.containers.find(c => c.name === 'jutsu-labs');
		const staging = data.containers.find(c => c.name === 'jutsu-labs-staging');
		expect(prod).toMatchObject({environment: 'production', tag: 'latest', state: 'running', health: 'healthy'});
		expect(staging).toMatchObject({environment: 'staging', tag: 'staging', state: 'running', health: 'healthy'});
		expect(prod!.ports.map(p => p.hostPort).sort()).toEqual(['3001', '8001']);
		expect(staging!.ports.map(p => `${p.hostIp}:${p.hostPort}`).sort()).toEqual(['127.0.0.1:3002', '127.0.0.1:8002']);
		expect(prod!.revision).toMatch(/^[0-9a-f]{40}$/u);
		expect(data.containers.find(c => c.name === 'jutsu-postgres')?.environment).toBeNull();
		expectNoSecrets(result.stdout + result.stderr);
	});

	it('prints a plain table when stdout is not a terminal, and records each remote command in the audit log', async () => {
		const audit = join(tmp, 'audit-plain.jsonl');
		const result = await cli(['status'], {env: {JUTSU_OPS_AUDIT_FILE: audit}});
		expect(result.exitCode).toBe(0);
		expect(result.stdout).toMatch(/jutsu-labs\s+production\s+latest\s+running\s+healthy/u);
		expect(result.stdout).toMatch(/jutsu-labs-staging\s+staging\s+staging\s+running\s+healthy/u);
		expect(result.stdout).not.toContain('\u001B[');
		expect(auditCommands(audit).some(c => c.includes('docker inspect'))).toBe(true);
		expectNoSecrets(readFileSync(audit, 'utf8'));
	});
});

describe('faults: each one explained, nothing run', () => {
	it('refuses a changed host key and runs nothing', async () => {
		const knownHosts = join(tmp, 'known_hosts_changed');
		// A valid ed25519 key that is not the lab's.
		const otherKey = join(tmp, 'other_key');
		execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
		const pub = readFileSync(`${otherKey}.pub`, 'utf8').split(' ');
		writeFileSync(knownHosts, `[127.0.0.1]:2222 ${pub[0]} ${pub[1]}\n`);
		const audit = join(tmp, 'audit-changed.jsonl');
		const result = await cli(['status', '--known-hosts', knownHosts], {env: {JUTSU_OPS_AUDIT_FILE: audit}});
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toContain('HOST KEY CHANGED');
		expect(result.stderr).toMatch(/SHA256:/u);
		expect(result.stderr).toContain('nothing was run');
		expect(result.stderr.split('\n').filter(Boolean).length).toBeLessThanOrEqual(2);
		expect(result.stdout).toBe('');
		expect(auditCommands(audit)).toEqual([]);
		// The known_hosts file was not "fixed" behind the operator's back.
		expect(readFileSync(knownHosts, 'utf8')).toBe(`[127.0.0.1]:2222 ${pub[0]} ${pub[1]}\n`);
	});

	it('refuses an unknown host key without a terminal, showing its fingerprint, and records nothing', async () => {
		const knownHosts = join(tmp, 'known_hosts_empty');
		writeFileSync(knownHosts, '');
		const result = await cli(['status', '--known-hosts', knownHosts]);
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toMatch(/not known \(ssh-ed25519 SHA256:[A-Za-z0-9+/]{43}\)/u);
		expect(readFileSync(knownHosts, 'utf8')).toBe('');
	});

	it('gives a clear authentication error for a wrong key', async () => {
		const wrongKey = join(tmp, 'wrong_key');
		execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrongKey]);
		const result = await cli(['status', '--identity', wrongKey]);
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toContain('refused authentication as root');
		expect(result.stderr).toContain(wrongKey);
		expect(result.stderr).not.toMatch(/\n\s+at /u);
	});

	it('fails within the configured timeout when the port accepts but never speaks SSH', async () => {
		const silent: Server = createServer(() => undefined);
		await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve));
		const port = (silent.address() as {port: number}).port;
		const profile = tempProfile(p => {
			p.host.port = port;
			p.timeouts = {connectMs: 1500, commandMs: 10_000};
		});
		const result = await cli(['status'], {config: profile});
		silent.close();
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toContain(`No SSH answer from 127.0.0.1:${port} within 2 s`);
	});

	it('says so when nothing listens on the port', async () => {
		const result = await cli(['status', '--port', '1']);
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toContain('Connection refused by 127.0.0.1:1');
	});

	describe('a host without docker', () => {
		beforeAll(() => {
			onHost('bash test/lab/hosttools.sh remove-docker');
		});
		afterAll(() => {
			onHost('bash test/lab/hosttools.sh add-docker');
		});

		it('says docker is missing on the host, with exit 2', async () => {
			const result = await cli(['status']);
			expect(result.exitCode).toBe(2);
			expect(result.stderr).toContain('docker is not installed on root@127.0.0.1:2222');
		});
	});

	it('explains a malformed config file and leaves it untouched', async () => {
		const file = join(tmp, 'broken.json');
		const text = '{"host": {"alias": "127.0.0.1", "port": 2222,,}}';
		writeFileSync(file, text);
		const result = await cli(['status'], {config: file});
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toContain(`Config file ${file} is not valid JSON`);
		expect(readFileSync(file, 'utf8')).toBe(text);
	});

	it('names an invalid key in an otherwise valid config', async () => {
		const file = tempProfile(p => {
			p.environments.staging.apiPort = 'eight thousand two';
		});
		const result = await cli(['status'], {config: file});
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toContain('environments.staging.apiPort');
	});
});

describe('the TUI binary under tmux', () => {
	const tui = new TmuxConsole(`jutsu-e2e-${process.pid}`);
	const exitFile = join(tmp, 'tui-exit');

	afterAll(() => {
		tui.kill();
		rmSync(exitFile, {force: true});
	});

	it('opens on the Dashboard; on Containers (3) shows both containers, moves the band with j, filters with /, and exits 130 on Ctrl-C', async () => {
		const profile = join(LAB_DIR, 'profile.json');
		expect(labProfile().host.port).toBe(2222);
		const command = `${process.execPath} dist/cli.js --config ${profile}; echo $? > ${exitFile}`;
		tui.start(command, {width: 120, height: 30, env: {JUTSU_OPS_AUDIT_FILE: join(tmp, 'audit-tui.jsonl')}});
		// The Dashboard opens first; 3 is the Containers screen.
		await tui.screen(/jutsu-labs-staging/u);
		tui.keys('3');
		const first = await tui.screen(/jutsu-labs\s+production\s+latest\s+running/u);
		expect(first).toMatch(/jutsu-labs\s+production\s+latest\s+running\s+healthy/u);
		expect(first).toContain('PRODUCTION · jutsu-labs');
		expect(first).toContain('connected');
		tui.keys('j');
		await tui.screen(/STAGING · jutsu-labs-staging/u);
		tui.keys('/', 'p', 'o', 's', 't');
		const filtered = await tui.screen(/1 of \d+ containers/u);
		expect(filtered).toContain('jutsu-postgres');
		tui.keys('Escape');
		tui.keys('?');
		const help = await tui.screen(/Keys on Containers \(\? or Esc closes/u);
		expect(help).toContain('quit at once');
		tui.keys('C-c');
		const until = Date.now() + 10_000;
		while (!existsSync(exitFile) && Date.now() < until) await new Promise(resolve => setTimeout(resolve, 100));
		expect(readFileSync(exitFile, 'utf8').trim()).toBe('130');
		expectNoSecrets(first + filtered + help);
	});
});
