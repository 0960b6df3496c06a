import {describe, expect, it} from 'vitest';
import {AuditLog} from '../../source/core/audit/audit.js';
import {profileSchema} from '../../source/core/config/schema.js';
import {checkUpdates} from '../../source/core/docker/registry.js';
import {restartContainer, updateContainer} from '../../source/core/docker/update.js';
import {combinedState, connectAll, hostsLabel, listAllContainers, locateContainer, PartialListError} from '../../source/core/hosts.js';
import {sessionInputs} from '../../source/core/safety/runner.js';
import {PRODUCTION_SOURCE_JQ} from '../../source/core/setup/staging.js';
import {execFileSync} from 'node:child_process';
import {openConnections, sessionOver} from '../../source/core/session.js';
import {fakeTransport, reply} from '../support/fake-transport.js';

const SEPARATOR = '---jutsu-ops-images---';

function raw(name: string, image: string) {
	return {
		Id: `${name}-id`, Name: `/${name}`, Created: '2026-12-01T00:00:00Z', Image: `sha256:${name}`,
		State: {Status: 'running', StartedAt: '2026-12-01T00:00:00Z', Health: {Status: 'healthy'}},
		Config: {Image: image, Env: ['ENVIRONMENT=x', 'SECRET_KEY=s3cr3t-value'], Labels: {}},
		HostConfig: {RestartPolicy: {Name: 'unless-stopped'}}, NetworkSettings: {Ports: {}, Networks: {bridge: {}}}, Mounts: [],
	};
}

/** A host that runs these containers and records every command. */
function fakeHost(label: string, names: string[], options: {down?: boolean} = {}) {
	return fakeTransport(label, text => {
		if (text.includes(SEPARATOR)) {
			return reply(`${JSON.stringify(names.map(n => raw(n, n.includes('staging') ? 'ankugo/jutsu-labs:staging' : 'ankugo/jutsu-labs:latest')))}\n${SEPARATOR}\n[]`);
		}
		if (text.includes('docker pull')) return reply('container=c1\nfrom=sha256:a\nfromRevision=1\nto=sha256:a\ntoRevision=1\nunraid=no\n');
		if (text.includes('docker restart')) return reply('running\n');
		if (text.includes('curl')) return reply('{"status":"ok"}\n200');
		if (text.includes('docker inspect --type container --format')) return reply('0 running\n');
		return reply('');
	}, options);
}

const B_HOST = {alias: 'tower-b', port: 2223, user: 'root'};

function twoHostSession(options: {bDown?: boolean; aRunsStagingToo?: boolean} = {}) {
	const profile = profileSchema.parse({
		host: {alias: 'tower-a', port: 2222, user: 'root'},
		environments: {
			production: {container: 'jutsu-labs', tag: 'latest', branch: 'main', apiPort: 8001, uiPort: 3001, database: 'jutsu_labs'},
			staging: {container: 'jutsu-labs-staging', tag: 'staging', branch: 'staging', apiPort: 8002, uiPort: 3002, database: 'jutsu_labs_staging', host: B_HOST},
		},
	});
	const a = fakeHost('root@tower-a:2222', ['jutsu-labs', 'jutsu-postgres', ...(options.aRunsStagingToo ? ['jutsu-labs-staging'] : [])]);
	const b = fakeHost('root@tower-b:2223', ['jutsu-labs-staging', 'other-on-b'], {down: options.bDown});
	const connections = openConnections(profile, host => (host.alias === 'tower-b' ? b.transport : a.transport));
	const audit = new AuditLog(undefined);
	audit.record = () => undefined;
	const session = sessionOver(profile, connections, {profileName: 't', profileSource: 't', audit, readOnly: false});
	return {session, a, b, profile};
}

describe('a host per environment', () => {
	it('opens one connection per distinct host, and one only when both environments share the profile\'s host', () => {
		const {session, a, b} = twoHostSession();
		expect(session.connections.map(c => [c.transport.label, c.environments, c.main])).toEqual([
			['root@tower-a:2222', ['production'], true],
			['root@tower-b:2223', ['staging'], false],
		]);
		expect(session.transportFor('production')).toBe(a.transport);
		expect(session.transportFor('staging')).toBe(b.transport);
		expect(session.transport).toBe(a.transport);
		expect(hostsLabel(session)).toBe('root@tower-a:2222 + root@tower-b:2223 (staging)');

		const profile = profileSchema.parse({environments: {
			production: {container: 'p', tag: 'latest', branch: 'main', apiPort: 1, uiPort: 2, database: 'p'},
			staging: {container: 's', tag: 'staging', branch: 'staging', apiPort: 3, uiPort: 4, database: 's', host: {alias: 'tower.local'}},
		}});
		let opened = 0;
		const single = openConnections(profile, () => {
			opened++;
			return a.transport;
		});
		expect(opened).toBe(1);
		expect(single).toHaveLength(1);
		expect(single[0]!.environments).toEqual(['production', 'staging']);
	});

	it('lists each host\'s containers with the host they run on; a same-named container on the wrong host is not the environment\'s', async () => {
		const {session} = twoHostSession({aRunsStagingToo: true});
		const list = await listAllContainers(session);
		const rows = list.map(c => [c.name, c.environment ?? '-', c.host]);
		expect(rows).toContainEqual(['jutsu-labs', 'production', 'root@tower-a:2222']);
		expect(rows).toContainEqual(['jutsu-labs-staging', 'staging', 'root@tower-b:2223']);
		expect(rows).toContainEqual(['jutsu-labs-staging', '-', 'root@tower-a:2222']);
		expect(rows).toContainEqual(['other-on-b', '-', 'root@tower-b:2223']);
		expect(list.filter(c => c.environment === 'staging')).toHaveLength(1);
		// sorted as on one host: production, staging, then the rest
		expect(list.slice(0, 2).map(c => c.environment)).toEqual(['production', 'staging']);
		// secrets stay masked whichever host they come from
		expect(JSON.stringify(list)).not.toContain('s3cr3t-value');
	});

	it('when the staging host does not answer, production is still listed and the error names the host and environment', async () => {
		const {session} = twoHostSession({bDown: true});
		const error = await listAllContainers(session).catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(PartialListError);
		const partial = error as PartialListError;
		expect(partial.containers.map(c => c.name)).toEqual(['jutsu-labs', 'jutsu-postgres']);
		expect(partial.unreachable).toEqual(['staging']);
		expect(partial.toLines()[0]).toContain('root@tower-b:2223 (staging) did not answer');
		// connecting: the main host is required, the other one only warns
		const warnings = await connectAll(session);
		expect(warnings).toEqual([expect.stringContaining('root@tower-b:2223 (staging): No SSH answer')]);
		expect(combinedState(session)).toBe('failed');
	});

	it('updates and restarts run on the environment\'s host only; other containers are found where the listing saw them', async () => {
		const {session, a, b} = twoHostSession();
		await updateContainer(session, 'staging', {healthTimeoutMs: 1000});
		expect(b.commands.some(c => c.includes('docker pull'))).toBe(true);
		expect(a.commands.some(c => c.includes('docker'))).toBe(false);

		await restartContainer(session, 'jutsu-labs-staging');
		expect(b.commands.some(c => c.includes('docker restart -t 30 jutsu-labs-staging'))).toBe(true);
		expect(await locateContainer(session, 'other-on-b')).toBe(b.transport);
		expect(await locateContainer(session, 'jutsu-postgres')).toBe(a.transport);
		await restartContainer(session, 'other-on-b');
		expect(b.commands.some(c => c.includes('docker restart -t 30 other-on-b'))).toBe(true);
		expect(a.commands.some(c => c.includes('docker restart'))).toBe(false);
	});

	it('Safety probes a port on the host of the environment that owns it; registry credentials come from each environment\'s host', async () => {
		const {session, a, b, profile} = twoHostSession();
		const inputs = sessionInputs(session);
		await inputs.http(8002, '/api/health', 'GET', new AbortController().signal);
		expect(b.commands.some(c => c.includes('8002'))).toBe(true);
		expect(a.commands.some(c => c.includes('8002'))).toBe(false);
		await inputs.http(8001, '/api/health', 'GET', new AbortController().signal);
		expect(a.commands.some(c => c.includes('8001'))).toBe(true);
		expect(b.commands.some(c => c.includes('8001'))).toBe(false);

		const asked: string[] = [];
		await checkUpdates(environment => {
			asked.push(environment);
			return session.transportFor(environment);
		}, profile, [], {fetch: (async () => new Response('', {status: 401, headers: {'www-authenticate': 'Basic realm="r"'}})) as unknown as typeof fetch});
		expect(asked.sort()).toEqual(['production', 'staging']);
		expect(b.commands.some(c => c.includes('.docker/config.json'))).toBe(true);
		expect(a.commands.some(c => c.includes('.docker/config.json'))).toBe(true);
	});

	it('setup across hosts: production\'s SECRET_KEY and Schwab credentials are dropped on production\'s host before its config travels', () => {
		const inspect = [{Id: 'p', Config: {Image: 'ankugo/jutsu-labs:latest', Env: ['SECRET_KEY=prod-secret-1', 'SCHWAB_CLIENT_ID=cid-2', 'SCHWAB_CLIENT_SECRET=csec-3', 'SCHWAB_ENABLED=true', 'POSTGRES_DATABASE=jutsu_labs', 'ENVIRONMENT=production']}}];
		const out = JSON.parse(execFileSync('jq', ['-c', '--argjson', 'image', '[{"Id":"sha256:img"}]', PRODUCTION_SOURCE_JQ], {input: JSON.stringify(inspect), encoding: 'utf8'})) as {container: {Config: {Env: string[]}}[]; image: {Id: string}[]};
		expect(out.container[0]!.Config.Env).toEqual(['SCHWAB_ENABLED=true', 'POSTGRES_DATABASE=jutsu_labs', 'ENVIRONMENT=production']);
		expect(out.image).toEqual([{Id: 'sha256:img'}]);
		expect(JSON.stringify(out)).not.toMatch(/prod-secret-1|cid-2|csec-3/u);
	});
});
