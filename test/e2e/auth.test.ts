import {execFileSync} from 'node:child_process';
import {appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {cli, expectNoSecrets, LAB_DIR, tempProfile} from '../support/lab.js';

const tmp = mkdtempSync(join(tmpdir(), 'jutsu-auth-'));
const authorizedKeys = join(LAB_DIR, 'ssh', 'authorized_keys');
const passphrase = 'correct horse battery staple';
const key = join(tmp, 'id_pass');
let original = '';

describe('authentication with a passphrase-protected key and with ssh-agent', () => {
	beforeAll(() => {
		original = readFileSync(authorizedKeys, 'utf8');
		execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-f', key]);
		appendFileSync(authorizedKeys, readFileSync(`${key}.pub`, 'utf8'));
	});

	afterAll(() => {
		writeFileSync(authorizedKeys, original);
	});

	it('without a terminal, explains that the key needs a passphrase and runs nothing', async () => {
		const result = await cli(['status', '--identity', key]);
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toContain(`The key ${key} is protected by a passphrase and none was given`);
	});

	it('in a terminal, asks for the passphrase without echoing it, then lists the containers', async () => {
		const session = `jutsu-pass-${process.pid}`;
		const out = join(tmp, 'status.out');
		const profile = tempProfile(p => {
			p.host.identityFile = key;
		});
		const command = `${process.execPath} dist/cli.js status --config ${profile} > ${out}; echo $? >> ${out}.code`;
		execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '120', '-y', '20', command]);
		try {
			let screen = '';
			for (let i = 0; i < 100 && !/Passphrase for/u.test(screen); i++) {
				await new Promise(resolve => setTimeout(resolve, 100));
				screen = execFileSync('tmux', ['capture-pane', '-p', '-t', session], {encoding: 'utf8'});
			}
			expect(screen).toContain(`Passphrase for ${key}`);
			execFileSync('tmux', ['send-keys', '-t', session, '-l', passphrase]);
			await new Promise(resolve => setTimeout(resolve, 200));
			screen = execFileSync('tmux', ['capture-pane', '-p', '-t', session], {encoding: 'utf8'});
			expect(screen).not.toContain(passphrase);
			execFileSync('tmux', ['send-keys', '-t', session, 'Enter']);
			for (let i = 0; i < 100 && !existsSync(`${out}.code`); i++) await new Promise(resolve => setTimeout(resolve, 100));
		} finally {
			try {
				execFileSync('tmux', ['kill-session', '-t', session], {stdio: 'ignore'});
			} catch {
				// ended by itself
			}
		}
		expect(readFileSync(`${out}.code`, 'utf8').trim()).toBe('0');
		const text = readFileSync(out, 'utf8');
		expect(text).toMatch(/jutsu-labs-staging\s+staging/u);
		expect(text).not.toContain(passphrase);
		expectNoSecrets(text);
	});

	it('uses ssh-agent when no key file is configured', async () => {
		const agent = execFileSync('ssh-agent', ['-s'], {encoding: 'utf8'});
		const sock = /SSH_AUTH_SOCK=([^;]+);/u.exec(agent)![1]!;
		const pid = /SSH_AGENT_PID=(\d+);/u.exec(agent)![1]!;
		try {
			execFileSync('ssh-add', ['-q', join(LAB_DIR, 'ssh', 'id_ed25519')], {env: {...process.env, SSH_AUTH_SOCK: sock}, stdio: 'ignore'});
			const profile = tempProfile(p => {
				delete p.host.identityFile;
			});
			const result = await cli(['status', '--json'], {config: profile, env: {SSH_AUTH_SOCK: sock, HOME: tmp}});
			expect(result.stderr).toBe('');
			expect(result.exitCode).toBe(0);
			expect(JSON.parse(result.stdout).containers.length).toBeGreaterThanOrEqual(2);
		} finally {
			process.kill(Number(pid));
		}
	});
});
