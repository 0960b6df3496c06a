import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {cli, CLI, expectNoSecrets, labProfile} from '../support/lab.js';
import {TmuxConsole} from '../support/tmux.js';

/** `jutsu-ops init --discover` against the lab: the proposal equals the lab's profile in every field the host can tell. */

const store = mkdtempSync(join(tmpdir(), 'jutsu-discover-'));
const lab = labProfile();
// Only the connection: no --config, so nothing of the lab's profile except how to reach the host is given.
const connection = ['--host', lab.host.alias, '--port', String(lab.host.port), '--user', lab.host.user, '--identity', lab.host.identityFile, '--known-hosts', lab.host.knownHosts];
const run = (args: string[]) => cli(['init', '--discover', ...args, ...connection], {config: false, env: {JUTSU_OPS_STORE_DIR: store}});

/** Profiles in a conf store folder (the store file may exist without any). */
function savedProfiles(dir: string): string[] {
	const file = join(dir, 'config.json');
	return existsSync(file) ? Object.keys((JSON.parse(readFileSync(file, 'utf8')) as {profiles?: object}).profiles ?? {}) : [];
}

afterAll(() => rmSync(store, {recursive: true, force: true}));

describe('init --discover against the lab', () => {
	it('--print proposes the lab\'s containers, images, tags, ports, databases, PostgreSQL, registry and sync script/log/schedule', async () => {
		const result = await run(['--print']);
		expectNoSecrets(result.stdout + result.stderr);
		expect(result.exitCode, result.stderr).toBe(0);
		const proposed = JSON.parse(result.stdout) as Record<string, any>;
		for (const env of ['production', 'staging']) {
			for (const field of ['container', 'image', 'tag', 'apiPort', 'uiPort', 'database']) {
				expect(`${env}.${field}=${proposed.environments[env][field]}`).toBe(`${env}.${field}=${lab.environments[env][field]}`);
			}
		}
		expect(proposed.postgres).toMatchObject({container: lab.postgres.container, port: lab.postgres.port, host: lab.postgres.host, user: lab.postgres.user, via: lab.postgres.via});
		expect(proposed.registry).toEqual(lab.registry);
		expect(proposed.sync).toMatchObject({script: lab.sync.script, log: lab.sync.log, schedule: lab.sync.schedule, tables: lab.sync.tables});
		expect(proposed.host).toMatchObject(lab.host);
		expect(savedProfiles(store)).toEqual([]);
	});

	it('--yes saves the proposal as the named profile, and the profile works (status reads both containers)', async () => {
		const result = await run(['--yes', '--profile', 'lab']);
		expectNoSecrets(result.stdout + result.stderr);
		expect(result.exitCode, result.stderr).toBe(0);
		expect(result.stdout).toContain('Profile "lab" saved');
		expect(result.stderr).toMatch(/environments\.staging\.apiPort\s+8002/u);
		const saved = JSON.parse(readFileSync(join(store, 'config.json'), 'utf8')) as {profiles: Record<string, any>};
		expect(saved.profiles.lab.environments.staging.container).toBe(lab.environments.staging.container);
		const status = await cli(['status', '--json', '--profile', 'lab'], {config: false, env: {JUTSU_OPS_STORE_DIR: store}});
		expect(status.exitCode, status.stderr).toBe(0);
		const names = (JSON.parse(status.stdout) as {containers: {name: string; environment: string | null}[]}).containers.filter(c => c.environment).map(c => `${c.name}=${c.environment}`);
		expect(names.sort()).toEqual([`${lab.environments.production.container}=production`, `${lab.environments.staging.container}=staging`].sort());
	});

	it('without a terminal, --yes or --print it refuses (exit 2) and writes nothing', async () => {
		const other = mkdtempSync(join(tmpdir(), 'jutsu-discover-none-'));
		const result = await cli(['init', '--discover', ...connection], {config: false, env: {JUTSU_OPS_STORE_DIR: other}});
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toContain('--yes');
		expect(savedProfiles(other)).toEqual([]);
		rmSync(other, {recursive: true, force: true});
	});

	it('plain init on a terminal asks only how to reach the host, connects, and has each found field confirmed or edited', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'jutsu-init-tty-'));
		const frames: string[] = [];
		const tui = new TmuxConsole(`jutsu-e2e-init-${process.pid}`, frames);
		tui.start(`${process.execPath} ${CLI} init --profile typed --known-hosts ${lab.host.knownHosts}; echo "exit=$?"; sleep 30`, {width: 160, height: 50, env: {JUTSU_OPS_STORE_DIR: dir, NO_COLOR: '1'}});
		try {
			const answer = async (prompt: RegExp, text: string) => {
				await tui.screen(prompt);
				if (text) tui.keys('-l', text);
				tui.keys('Enter');
			};
			await answer(/SSH host .*\[tower\.local\]:\s*$/mu, lab.host.alias);
			await answer(/SSH port \[22\]:\s*$/mu, String(lab.host.port));
			await answer(/SSH user \[root\]:\s*$/mu, '');
			await answer(/Key file .*:\s*$/mu, lab.host.identityFile);
			await answer(/Staging on another host\? .*:\s*$/mu, '');
			// it connected and found the lab: each finding is asked, Enter keeps it; the schedule is edited
			const found = await tui.screen(/Found on root@127\.0\.0\.1:2222:/u);
			expect(found).toMatch(/environments\.staging\.apiPort\s+8002/u);
			// the last line of the screen is the question being asked; each one is answered once
			const lastLine = (text: string) => text.trimEnd().split('\n').at(-1) ?? '';
			let handled = '';
			for (let i = 0; i < 300; i++) {
				const text = tui.capture();
				if (/saved in|exit=/u.test(text)) break;
				const prompt = lastLine(text);
				if (/\]:\s*$/u.test(prompt) && prompt !== handled) {
					handled = prompt;
					if (prompt.startsWith('sync.schedule [')) tui.keys('-l', '30 2 * * *');
					tui.keys('Enter');
				}
				await new Promise(resolve => setTimeout(resolve, 200));
			}
			const done = await tui.screen(/exit=\d+/u);
			expect(done).toContain('Profile "typed" saved');
			expect(done).toContain('exit=0');
		} finally {
			tui.kill();
		}
		const saved = (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as {profiles: Record<string, any>}).profiles.typed;
		expect(saved.environments.staging).toMatchObject({container: lab.environments.staging.container, apiPort: 8002, database: lab.environments.staging.database});
		expect(saved.environments.production.container).toBe(lab.environments.production.container);
		expect(saved.postgres.container).toBe(lab.postgres.container);
		expect(saved.sync.schedule).toBe('30 2 * * *');
		expect(saved.host).toMatchObject({alias: lab.host.alias, port: lab.host.port, user: 'root'});
		for (const frame of frames) expectNoSecrets(frame);
		rmSync(dir, {recursive: true, force: true});
	}, 120_000);
});
