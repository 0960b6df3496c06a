import {execFileSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {loadProfile} from '../../source/core/config/load.js';
import {createSession} from '../../source/core/session.js';
import {cli, LAB_DIR, labProfilePath, onHost, tempProfile} from '../support/lab.js';

const tmp = mkdtempSync(join(tmpdir(), 'jutsu-transport-'));

describe('the SSH transport against the lab', () => {
	afterAll(() => {
		onHost('bash test/lab/up.sh >/dev/null');
	});

	it('runs many commands over one connection and reconnects by itself after sshd is restarted', async () => {
		const session = createSession({configFile: labProfilePath(), auditFile: join(tmp, 'audit.jsonl')});
		const states: string[] = [];
		session.transport.onStateChange(state => states.push(state));
		await session.transport.connect();
		const results = await Promise.all(Array.from({length: 8}, (_, i) => session.transport.exec(['echo', `channel ${i}`])));
		expect(results.map(r => r.stdout.trim())).toEqual(Array.from({length: 8}, (_, i) => `channel ${i}`));
		// One TCP connection for all of them: sshd logged one accepted key for this session so far.
		const pid = readFileSync(join(LAB_DIR, 'sshd.pid'), 'utf8').trim();
		onHost(`pkill -TERM -P ${pid} sshd || true; kill ${pid}; sleep 0.5`);
		onHost('bash test/lab/up.sh --keep-state >/dev/null');
		const after = await session.transport.exec(['echo', 'back'], {timeoutMs: 30_000});
		expect(after.stdout.trim()).toBe('back');
		expect(states).toContain('reconnecting');
		expect(states.at(-1)).toBe('connected');
		await session.close();
	});

	it('a remote command that outlives its timeout is stopped with a clear message', async () => {
		const session = createSession({configFile: labProfilePath(), auditFile: join(tmp, 'audit.jsonl')});
		await expect(session.transport.exec(['sleep', '30'], {timeoutMs: 1000})).rejects.toThrow(/did not finish `sleep 30` within 1 s; it was stopped/u);
		const controller = new AbortController();
		const pending = session.transport.exec(['sleep', '30'], {signal: controller.signal, timeoutMs: 0});
		setTimeout(() => controller.abort(), 200);
		await expect(pending).rejects.toThrow(/Cancelled `sleep 30`/u);
		// The connection is still usable after both.
		expect((await session.transport.exec(['echo', 'ok'])).stdout.trim()).toBe('ok');
		await session.close();
	});

	it('resolves a host alias through ~/.ssh/config (HostName, Port, User, IdentityFile, UserKnownHostsFile)', async () => {
		const profile = tempProfile(p => {
			p.host = {alias: 'tower-lab'};
		});
		const result = await cli(['status', '--json'], {config: profile, env: {JUTSU_OPS_SSH_CONFIG: join(LAB_DIR, 'ssh', 'config')}});
		expect(result.stderr).toBe('');
		expect(result.exitCode).toBe(0);
		expect(JSON.parse(result.stdout).host).toBe('root@127.0.0.1:2222');
		expect(loadProfile({configFile: profile}).profile.host.port).toBeUndefined();
	});

	it('runs on the host itself with --host local', async () => {
		const result = await cli(['status', '--json', '--host', 'local']);
		expect(result.exitCode).toBe(0);
		const data = JSON.parse(result.stdout) as {host: string; containers: {name: string}[]};
		expect(data.host).toBe('local');
		expect(data.containers.map(c => c.name)).toEqual(expect.arrayContaining(['jutsu-labs', 'jutsu-labs-staging']));
	});

	it('asks before trusting an unknown host key in a terminal, records it only after "yes", then connects without asking', async () => {
		const knownHosts = join(tmp, 'known_hosts_new');
		writeFileSync(knownHosts, '');
		const session = `jutsu-trust-${process.pid}`;
		const exitFile = join(tmp, 'trust-exit');
		const command = `${process.execPath} dist/cli.js trust --config ${labProfilePath()} --known-hosts ${knownHosts}; echo $? > ${exitFile}`;
		execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '160', '-y', '20', command]);
		try {
			let screen = '';
			for (let i = 0; i < 100 && !/Type "yes" to trust/u.test(screen); i++) {
				await new Promise(resolve => setTimeout(resolve, 100));
				screen = execFileSync('tmux', ['capture-pane', '-p', '-t', session], {encoding: 'utf8'});
			}
			expect(screen).toMatch(/ssh-ed25519 key fingerprint is SHA256:/u);
			expect(readFileSync(knownHosts, 'utf8')).toBe('');
			execFileSync('tmux', ['send-keys', '-t', session, 'yes', 'Enter']);
			for (let i = 0; i < 100 && !existsSync(exitFile); i++) await new Promise(resolve => setTimeout(resolve, 100));
		} finally {
			try {
				execFileSync('tmux', ['kill-session', '-t', session], {stdio: 'ignore'});
			} catch {
				// ended by itself
			}
		}
		expect(readFileSync(exitFile, 'utf8').trim()).toBe('0');
		expect(readFileSync(knownHosts, 'utf8')).toMatch(/^\|1\|\S+ ssh-ed25519 AAAA/u);
		const again = await cli(['status', '--known-hosts', knownHosts]);
		expect(again.exitCode).toBe(0);
	});
});
