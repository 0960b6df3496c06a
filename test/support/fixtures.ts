import type {Container} from '../../source/core/docker/containers.js';
import {parseProfile} from '../../source/core/config/load.js';
import {SEED_PROFILE} from '../../source/core/config/schema.js';
import {maskEnv} from '../../source/core/secrets.js';
import type {CheckState, SafetyOptions, SafetyReport} from '../../source/core/safety/types.js';
import {fakePromoteServices} from './promote-fakes.js';
import type {AppServices} from '../../source/ui/services.js';
import {fakeSyncServices} from './sync-fakes.js';
import {fakeDatabaseReport} from './db-fakes.js';
import {fakeSetup} from './setup-fakes.js';

export const profile = parseProfile(SEED_PROFILE, 'test');

export function container(overrides: Partial<Container> & {name: string}): Container {
	return {
		id: `id-${overrides.name}`,
		image: 'ankugo/jutsu-labs:latest',
		repository: 'ankugo/jutsu-labs',
		tag: 'latest',
		imageId: 'sha256:aaa',
		repoDigests: [],
		revision: '0123456789abcdef',
		state: 'running',
		health: 'healthy',
		createdAt: new Date(Date.now() - 7200_000).toISOString(),
		startedAt: new Date(Date.now() - 3600_000).toISOString(),
		restartCount: 0,
		ports: [],
		mounts: [],
		networks: ['bridge'],
		restartPolicy: 'unless-stopped',
		labels: {},
		env: maskEnv(['ENVIRONMENT=production', 'SECRET_KEY=topsecretvalue']),
		environment: undefined,
		...overrides,
	};
}

export const CONTAINERS: Container[] = [
	container({name: 'jutsu-labs', environment: 'production', ports: [{containerPort: '8000/tcp', hostIp: '127.0.0.1', hostPort: '8001'}]}),
	container({name: 'jutsu-labs-staging', environment: 'staging', tag: 'staging', image: 'ankugo/jutsu-labs:staging', health: 'starting', ports: [{containerPort: '8000/tcp', hostIp: '127.0.0.1', hostPort: '8002'}]}),
	container({name: 'jutsu-postgres', image: 'postgres:15', repository: 'postgres', tag: '15', health: 'none', revision: undefined}),
	container({name: 'plex', image: 'plex:latest', repository: 'plex', state: 'exited', health: 'none', revision: undefined}),
];

export const AUDIT_ENTRIES = [
	{time: '2026-12-04T15:00:00.000Z', host: 'root@tower.local:22', kind: 'command' as const, command: "docker inspect --type container jutsu-labs", exitCode: 0, durationMs: 80, outcome: 'ok' as const},
	{time: '2026-12-04T15:01:00.000Z', host: 'root@tower.local:22', kind: 'action' as const, action: 'update', detail: 'jutsu-labs-staging: updated 111 -> 222', durationMs: 5400, outcome: 'ok' as const},
	{time: '2026-12-04T15:02:00.000Z', host: 'root@tower.local:22', kind: 'action' as const, action: 'rollback', detail: 'jutsu-labs-staging: rolled back because health 500', durationMs: 9000, outcome: 'ok' as const},
];

export function fakeServices(overrides: Partial<AppServices> = {}): AppServices & {listCalls: number; calls: string[]} {
	const services = {
		profile,
		hostLabel: 'root@tower.local:22',
		readOnly: false,
		listCalls: 0,
		async listContainers() {
			services.listCalls++;
			return CONTAINERS;
		},
		async watchContainers(_onChange: () => void, signal: AbortSignal) {
			await new Promise<void>(resolve => signal.addEventListener('abort', () => resolve(), {once: true}));
		},
		connectionState: () => 'connected' as const,
		onConnectionChange: () => () => undefined,
		ping: async () => 12,
		/** A seed-like world where every check passes (see safety-fakes.ts); tests override it to inject faults. */
		async runSafety(options: SafetyOptions, onUpdate: (id: string, state: CheckState) => void, signal: AbortSignal): Promise<SafetyReport> {
			const [{fakeInputs}, {runSafety}] = await Promise.all([import('./safety-fakes.js'), import('../../source/core/safety/runner.js')]);
			return runSafety(fakeInputs(), {...options, restartSampleMs: 0}, onUpdate, signal);
		},
		// Containers in depth
		calls: [] as string[],
		async checkUpdates() {
			return {
				production: {state: 'up-to-date' as const, remoteDigest: `sha256:${'1'.repeat(64)}`, localDigests: [`sha256:${'1'.repeat(64)}`]},
				staging: {state: 'update-available' as const, remoteDigest: `sha256:${'2'.repeat(64)}`, localDigests: [`sha256:${'3'.repeat(64)}`]},
			};
		},
		async streamLogs(name: string, _options: unknown, onLine: (line: string, stderr: boolean) => void, signal: AbortSignal) {
			services.calls.push(`logs ${name}`);
			for (let i = 1; i <= 30; i++) onLine(`2026-12-04T15:00:${String(i).padStart(2, '0')}.000000000Z ${name} line ${i}${i === 7 ? ' ERROR database timeout' : ''}`, false);
			await new Promise<void>(resolve => signal.addEventListener('abort', () => {
				services.calls.push(`abort ${name}`);
				resolve();
			}, {once: true}));
		},
		async restartContainer(name: string, confirm: string | undefined) {
			services.calls.push(`restart ${name} confirm=${confirm ?? ''}`);
			return {container: name, status: 'running', durationMs: 1200};
		},
		async updateContainer(environment: 'production' | 'staging', options: {confirm?: string | undefined; onProgress?: (p: {step: 'pull'; message: string}) => void}) {
			services.calls.push(`update ${environment} confirm=${options.confirm ?? ''}`);
			options.onProgress?.({step: 'pull', message: 'pulling the tag on the host'});
			return {outcome: 'updated' as const, environment, container: profile.environments[environment].container, image: 'ankugo/jutsu-labs:staging', method: 'recreate' as const,
				fromImageId: 'sha256:aaa', toImageId: 'sha256:bbb', fromRevision: '0123456789', toRevision: 'abcdef0123', durationMs: 3000};
		},
		readAudit: () => AUDIT_ENTRIES.slice(),
		sync: fakeSyncServices(),
		async saveLog(name: string, lines: string[]) {
			services.calls.push(`save ${name} ${lines.length}`);
			return `/tmp/jutsu-ops-${name}.log`;
		},
		promote: fakePromoteServices(),
		async database(options: {exact: boolean}) {
			services.calls.push(`database exact=${options.exact}`);
			return fakeDatabaseReport(options.exact);
		},
		setup: fakeSetup(),
		...overrides,
	};
	return services;
}

export const tick = (ms = 30) => new Promise(resolve => setTimeout(resolve, ms));
