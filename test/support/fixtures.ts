import type {Container} from '../../source/core/docker/containers.js';
import {parseProfile} from '../../source/core/config/load.js';
import {SEED_PROFILE} from '../../source/core/config/schema.js';
import {maskEnv} from '../../source/core/secrets.js';
import type {CheckState, SafetyOptions, SafetyReport} from '../../source/core/safety/types.js';
import type {AppServices} from '../../source/ui/services.js';

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

export function fakeServices(overrides: Partial<AppServices> = {}): AppServices & {listCalls: number} {
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
		...overrides,
	};
	return services;
}

export const tick = (ms = 30) => new Promise(resolve => setTimeout(resolve, ms));
