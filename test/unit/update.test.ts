import {execFileSync} from 'node:child_process';
import {describe, expect, it} from 'vitest';
import {AuditLog} from '../../source/core/audit/audit.js';
import {CREATE_BODY_JQ, createFromScript, guardAction, restartContainer, updateContainer} from '../../source/core/docker/update.js';
import {OpsError} from '../../source/core/errors.js';
import {sessionOver} from '../../source/core/session.js';
import {fakeTransport, reply} from '../support/fake-transport.js';
import {profile} from '../support/fixtures.js';

const OLD = `sha256:${'a'.repeat(64)}`;
const NEW = `sha256:${'b'.repeat(64)}`;

/** A host that answers the update's scripts; `health` decides what the health endpoint says. */
function fakeSession(options: {newImage?: string; health?: number; unraid?: boolean; readOnly?: boolean; leaseHolder?: string} = {}) {
	const actions: {action?: string; detail?: string; outcome?: string}[] = [];
	let exists = true;
	let rolledBack = false;
	const {transport, commands: scripts} = fakeTransport('root@tower:22', text => {
		if (text.includes('docker pull')) return reply(`container=c1\nfrom=${OLD}\nfromRevision=1111111aaaa\nto=${options.newImage ?? NEW}\ntoRevision=2222222bbbb\nunraid=${options.unraid ? 'yes' : 'no'}\n`);
		if (text.startsWith('docker inspect --type container -f')) return exists ? reply(`running|healthy|${options.newImage ?? NEW}|0\n`) : reply('', 1);
		if (text.startsWith('docker rm -f')) rolledBack = true;
		// The old container is healthy again once it is back.
		if (text.includes('curl -sS -X GET')) return reply(`{"status":"x"}\n${rolledBack ? 200 : options.health ?? 200}`);
		if (text.includes('docker restart')) return reply('running\n');
		return reply('');
	}, {leaseHolder: options.leaseHolder});
	const audit = new AuditLog(undefined);
	audit.record = entry => {
		if (entry.kind === 'action') actions.push(entry);
	};
	const session = sessionOver(profile, [{transport, environments: ['production', 'staging'], main: true}], {profileName: 't', profileSource: 't', audit, readOnly: options.readOnly ?? false});
	return {session, scripts, actions, setExists: (v: boolean) => (exists = v)};
}

describe('updateContainer (generic recreate)', () => {
	it('keeps the old container renamed and stopped, creates the new one from its config, waits for health, then removes the old', async () => {
		const {session, scripts, actions} = fakeSession();
		const steps: string[] = [];
		const result = await updateContainer(session, 'staging', {healthTimeoutMs: 5000, onProgress: p => steps.push(p.step)});
		expect(result).toMatchObject({outcome: 'updated', method: 'recreate', fromRevision: '1111111aaaa', toRevision: '2222222bbbb', fromImageId: OLD, toImageId: NEW});
		const order = ['docker pull', 'docker rename jutsu-labs-staging jutsu-labs-staging-jutsu-old-', 'docker stop -t 30 jutsu-labs-staging-jutsu-old-', 'containers/create?name=jutsu-labs-staging', 'curl -sS -X GET', 'docker rm jutsu-labs-staging-jutsu-old-'];
		let at = -1;
		for (const needle of order) {
			const index = scripts.findIndex((s, i) => i > at && s.includes(needle));
			expect(index, needle).toBeGreaterThan(at);
			at = index;
		}
		expect(steps).toEqual(expect.arrayContaining(['pull', 'stop-old', 'create', 'wait', 'cleanup', 'done']));
		expect(actions).toEqual([expect.objectContaining({action: 'update', outcome: 'ok'})]);
	});

	it('rolls back when the new container never answers 2xx: removes it, renames the old one back, starts it', async () => {
		const {session, scripts, actions} = fakeSession({health: 500});
		const result = await updateContainer(session, 'staging', {healthTimeoutMs: 1500});
		expect(result.outcome).toBe('rolled-back');
		expect(result.reason).toContain('answered 500');
		const rollback = scripts.find(s => s.startsWith('docker rm -f jutsu-labs-staging'))!;
		expect(rollback).toMatch(/docker rename jutsu-labs-staging-jutsu-old-\S+ jutsu-labs-staging/u);
		expect(rollback).toContain('docker start jutsu-labs-staging');
		expect(scripts.some(s => /^docker rm jutsu-labs-staging-jutsu-old-/u.test(s))).toBe(false);
		expect(actions.map(a => a.action)).toEqual(['rollback']);
	});

	it('does nothing when the pulled image is the one running', async () => {
		const {session, scripts} = fakeSession({newImage: OLD});
		expect((await updateContainer(session, 'staging')).outcome).toBe('unchanged');
		expect(scripts.some(s => s.includes('docker rename'))).toBe(false);
	});

	it('on Unraid runs update_container, checks with docker inspect, and keeps a rollback copy until healthy', async () => {
		const {session, scripts} = fakeSession({unraid: true});
		const result = await updateContainer(session, 'staging', {healthTimeoutMs: 5000});
		expect(result).toMatchObject({outcome: 'updated', method: 'unraid'});
		expect(scripts.some(s => s.includes('/usr/local/emhttp/plugins/dynamix.docker.manager/scripts/update_container jutsu-labs-staging'))).toBe(true);
		expect(scripts.some(s => s.includes('jutsu-rollback-'))).toBe(true);
		expect(scripts.some(s => s.includes('docker rename'))).toBe(false);
	});

	it('takes the change lease first; while another change holds it, update and restart are refused naming the holder, and nothing else runs', async () => {
		const free = fakeSession();
		await updateContainer(free.session, 'staging', {healthTimeoutMs: 5000});
		expect(free.scripts[0]).toContain('flock -n 9');
		expect(free.scripts[1]).toContain('docker pull');
		const busy = fakeSession({leaseHolder: 'ana@laptop since 2026-12-04T07:00:00Z (update to ankugo/jutsu-labs:staging)'});
		await expect(updateContainer(busy.session, 'staging')).rejects.toThrow('Another change to jutsu-labs-staging is running on root@tower:22: ana@laptop since 2026-12-04T07:00:00Z (update to ankugo/jutsu-labs:staging).');
		await expect(restartContainer(busy.session, 'jutsu-labs-staging')).rejects.toThrow(/Another change to jutsu-labs-staging/u);
		expect(busy.scripts.filter(s => !s.includes('flock -n 9'))).toEqual([]);
		expect(busy.actions).toEqual([]);
	});

	it('refuses production without the typed name, and anything in a read-only session, before touching the host', async () => {
		const prod = fakeSession();
		await expect(updateContainer(prod.session, 'production')).rejects.toThrow(/needs its name/u);
		await expect(updateContainer(prod.session, 'production', {confirm: 'jutsu'})).rejects.toBeInstanceOf(OpsError);
		expect(prod.scripts).toEqual([]);
		const ro = fakeSession({readOnly: true});
		await expect(updateContainer(ro.session, 'staging')).rejects.toThrow(/read-only/u);
		await expect(restartContainer(ro.session, 'jutsu-labs-staging')).rejects.toThrow(/read-only/u);
		expect(ro.scripts).toEqual([]);
		expect(() => guardAction(prod.session, 'production', 'jutsu-labs', 'jutsu-labs', 'Restart')).not.toThrow();
	});
});

describe('the create request built on the host', () => {
	const container = {
		Id: 'abcdef0123456789', Image: OLD,
		Config: {Hostname: 'abcdef012345', Env: ['PATH=/bin', 'SECRET_KEY=s3cr3t', 'ENVIRONMENT=staging'], Cmd: ['/app/run'], Entrypoint: null, WorkingDir: '/app',
			Labels: {'org.opencontainers.image.revision': 'old', 'net.unraid.docker.managed': 'dockerman'}, ExposedPorts: {'8000/tcp': {}}, Volumes: null, User: ''},
		HostConfig: {Binds: ['/mnt/a:/app/config'], NetworkMode: 'mynet', RestartPolicy: {Name: 'unless-stopped'}, PortBindings: {'8000/tcp': [{HostIp: '127.0.0.1', HostPort: '8002'}]}},
		Mounts: [{Type: 'bind', Source: '/mnt/a', Destination: '/app/config'}, {Type: 'volume', Name: 'f'.repeat(64), Destination: '/data'}],
		NetworkSettings: {Networks: {mynet: {Aliases: ['abcdef012345', 'web'], IPAMConfig: null, Links: null}, other: {Aliases: null}}},
	};
	const image = {Config: {Env: ['PATH=/bin'], Cmd: ['/app/run'], Entrypoint: null, WorkingDir: '/app', Labels: {'org.opencontainers.image.revision': 'old'}, ExposedPorts: {'8000/tcp': {}}}};

	it('keeps env, binds, ports, restart policy, own labels and aliases; drops what the old image set; keeps anonymous volumes', () => {
		const body = JSON.parse(execFileSync('jq', ['-s', '--arg', 'image', 'repo:staging', CREATE_BODY_JQ], {input: `${JSON.stringify([container])}${JSON.stringify([image])}`, encoding: 'utf8'}));
		expect(body.Image).toBe('repo:staging');
		expect(body.Env).toEqual(['SECRET_KEY=s3cr3t', 'ENVIRONMENT=staging']);
		expect(body.Cmd).toBeNull();
		expect(body.Hostname).toBe('');
		expect(body.Labels).toEqual({'net.unraid.docker.managed': 'dockerman'});
		expect(body.ExposedPorts).toEqual({});
		expect(body.HostConfig.RestartPolicy).toEqual({Name: 'unless-stopped'});
		expect(body.HostConfig.PortBindings).toEqual(container.HostConfig.PortBindings);
		expect(body.HostConfig.Binds).toEqual(['/mnt/a:/app/config', `${'f'.repeat(64)}:/data`]);
		expect(body.NetworkingConfig.EndpointsConfig).toEqual({mynet: {IPAMConfig: null, Links: null, Aliases: ['web']}});
	});

	it('quotes every value it puts in the script', () => {
		const script = createFromScript({container: "old'; rm -rf /"}, 'new', "img'x").text;
		expect(script).toContain(`'old'\\''; rm -rf /'`);
		expect(script).toContain(`'img'\\''x'`);
	});
});
