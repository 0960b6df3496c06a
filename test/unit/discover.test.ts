import {describe, expect, it} from 'vitest';
import {environmentOfContainer, parseSyncScriptProbe, proposeProfile} from '../../source/core/config/discover.js';
import {applyAnswer} from '../../source/commands/discover.js';
import {parseProfile} from '../../source/core/config/load.js';
import {SEED_PROFILE} from '../../source/core/config/schema.js';
import {maskEnv} from '../../source/core/secrets.js';
import {container} from '../support/fixtures.js';

const base = parseProfile({...SEED_PROFILE, host: {alias: 'tower.example', user: 'root'}}, 'test');

const app = (name: string, tag: string, env: string[], api: string, ui: string) => container({
	name, tag, image: `registry.example:5000/acme/trader:${tag}`, repository: 'registry.example:5000/acme/trader',
	env: maskEnv([...env, 'POSTGRES_USER=trader', 'POSTGRES_PASSWORD=hunter2hunter2', 'SECRET_KEY=abcdefabcdef']),
	ports: [{containerPort: '8000/tcp', hostIp: '0.0.0.0', hostPort: api}, {containerPort: '3000/tcp', hostIp: '0.0.0.0', hostPort: ui}],
});
const pg = container({name: 'db', image: 'postgres:17', repository: 'postgres', tag: '17', env: maskEnv(['POSTGRES_PASSWORD=x']), ports: [{containerPort: '5432/tcp', hostIp: '127.0.0.1', hostPort: '5499'}]});

const SCRIPT_PROBE = `@@jutsu-ops:script /mnt/user/appdata/trader/scripts/nightly_sync.sh
@@jutsu-ops:lines /mnt/user/appdata/trader/scripts/nightly_sync.sh
SYNC_TABLES=('bars' 'snapshots')
LOG_FILE='/mnt/user/appdata/trader/logs/sync.log'
`;

describe('profile discovery', () => {
	it('proposes containers, images, tags, ports, databases, PostgreSQL and the sync script from what the host runs', () => {
		const containers = [
			container({name: 'plex', image: 'plex:latest', repository: 'plex', tag: 'latest', env: maskEnv(['TZ=UTC'])}),
			app('trader', 'v2', ['ENVIRONMENT=production', 'POSTGRES_DATABASE=trader'], '9001', '9101'),
			app('trader-test', 'v2-rc', ['ENVIRONMENT=staging', 'POSTGRES_DATABASE=trader_test'], '9002', '9102'),
			pg,
		];
		const d = proposeProfile(base, containers, parseSyncScriptProbe(SCRIPT_PROBE), '30 3 * * *');
		const {production, staging} = d.profile.environments;
		expect(production).toMatchObject({container: 'trader', image: 'registry.example:5000/acme/trader', tag: 'v2', apiPort: 9001, uiPort: 9101, database: 'trader', branch: 'main'});
		expect(staging).toMatchObject({container: 'trader-test', tag: 'v2-rc', apiPort: 9002, uiPort: 9102, database: 'trader_test'});
		expect(d.profile.registry).toEqual({kind: 'v2', url: 'https://registry.example:5000'});
		// PostgreSQL listens on the host's loopback only, and the host is remote: reach it through the SSH connection
		expect(d.profile.postgres).toMatchObject({container: 'db', port: 5499, user: 'trader', via: 'ssh', host: '127.0.0.1'});
		expect(d.profile.sync).toMatchObject({script: '/mnt/user/appdata/trader/scripts/nightly_sync.sh', log: '/mnt/user/appdata/trader/logs/sync.log', tables: ['bars', 'snapshots'], schedule: '30 3 * * *'});
		expect(d.missing).toEqual([]);
		// no secret value is proposed anywhere
		const text = JSON.stringify(d);
		for (const secret of ['hunter2hunter2', 'abcdefabcdef']) expect(text).not.toContain(secret);
	});

	it('without ENVIRONMENT the tags latest/staging decide; an unrelated :latest container is not production', () => {
		const plex = container({name: 'plex', image: 'plex:latest', repository: 'plex', tag: 'latest', env: maskEnv(['TZ=UTC'])});
		expect(environmentOfContainer(plex)).toBeUndefined();
		expect(environmentOfContainer(app('a', 'latest', ['POSTGRES_DATABASE=a'], '1', '2'))).toBe('production');
		expect(environmentOfContainer(app('b', 'staging', [], '1', '2'))).toBe('staging');
		expect(environmentOfContainer(app('c', 'staging', ['ENVIRONMENT=development'], '1', '2'))).toBeUndefined();
		expect(environmentOfContainer(pg)).toBeUndefined();
	});

	it('names what it could not find and keeps the seed\'s value there', () => {
		const d = proposeProfile(base, [app('trader', 'latest', ['ENVIRONMENT=production', 'POSTGRES_DATABASE=trader'], '9001', '9101')], {candidates: []}, undefined);
		expect(d.profile.environments.staging.container).toBe('jutsu-labs-staging');
		expect(d.missing.join('\n')).toMatch(/environments\.staging/u);
		expect(d.missing.join('\n')).toMatch(/postgres\.container/u);
		expect(d.missing.join('\n')).toMatch(/sync\.script/u);
	});

	it('the seed\'s script format (double quotes, bash array) is read too; a LOG_FILE built from variables is not guessed', () => {
		expect(parseSyncScriptProbe('@@jutsu-ops:lines /x.sh\nSYNC_TABLES=("market_data" "performance_snapshots")\nLOG_FILE="/mnt/user/appdata/jutsu/logs/staging_sync.log"\n'))
			.toMatchObject({script: '/x.sh', tables: ['market_data', 'performance_snapshots'], log: '/mnt/user/appdata/jutsu/logs/staging_sync.log'});
		expect(parseSyncScriptProbe('@@jutsu-ops:lines /x.sh\nLOG_FILE="$DIR/sync.log"\n').log).toBeUndefined();
	});

	it('edited answers keep their types (numbers, lists, registry) and are validated', () => {
		const p = applyAnswer(base, {path: 'environments.staging.apiPort', value: 8002, source: ''}, '8012');
		expect(p.environments.staging.apiPort).toBe(8012);
		expect(applyAnswer(p, {path: 'sync.tables', value: ['a'], source: ''}, 'a, b').sync.tables).toEqual(['a', 'b']);
		expect(applyAnswer(p, {path: 'registry', value: 'dockerhub', source: ''}, 'http://127.0.0.1:5000').registry).toEqual({kind: 'v2', url: 'http://127.0.0.1:5000'});
		expect(applyAnswer(p, {path: 'environments.staging.apiPort', value: 8002, source: ''}, '')).toBe(p);
		expect(() => applyAnswer(p, {path: 'environments.staging.apiPort', value: 8002, source: ''}, 'abc')).toThrow(/whole number/u);
	});

	it('with staging on its own host: staging is taken from that host only, and the proposal keeps the host', () => {
		const twoHosts = parseProfile({...SEED_PROFILE, host: {alias: 'tower-a', user: 'root'}, environments: {...SEED_PROFILE.environments, staging: {...SEED_PROFILE.environments!.staging, host: {alias: 'tower-b', port: 2223}}}}, 'test');
		// a stale staging container on A must not win over the one on B
		const onA = [app('trader', 'v2', ['ENVIRONMENT=production', 'POSTGRES_DATABASE=trader'], '9001', '9101'), app('old-staging', 'v1', ['ENVIRONMENT=staging', 'POSTGRES_DATABASE=old'], '9008', '9108'), pg];
		const onB = [app('trader-test', 'v2-rc', ['ENVIRONMENT=staging', 'POSTGRES_DATABASE=trader_test'], '9002', '9102')];
		const d = proposeProfile(twoHosts, onA, parseSyncScriptProbe(SCRIPT_PROBE), '0 2 * * *', {label: 'root@tower-b:2223', containers: onB});
		expect(d.profile.environments.staging).toMatchObject({container: 'trader-test', apiPort: 9002, database: 'trader_test', host: {alias: 'tower-b', port: 2223}});
		expect(d.profile.environments.production.container).toBe('trader');
		expect(d.findings).toContainEqual({path: 'environments.staging.host', value: 'root@tower-b:2223', source: 'trader-test runs there'});
		// nothing on B: named as missing there, not taken from A
		const none = proposeProfile(twoHosts, onA, parseSyncScriptProbe(SCRIPT_PROBE), '0 2 * * *', {label: 'root@tower-b:2223', containers: []});
		expect(none.missing).toContainEqual(expect.stringContaining('environments.staging (no container with ENVIRONMENT=staging or tag staging on root@tower-b:2223)'));
		// one host and no staging found: the hint names --staging-host
		const single = proposeProfile(base, [onA[0]!, pg], parseSyncScriptProbe(SCRIPT_PROBE), '0 2 * * *');
		expect(single.missing).toContainEqual(expect.stringContaining('--staging-host'));
	});
});
