import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {cli, expectNoSecrets, labProfile} from '../support/lab.js';

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
});
