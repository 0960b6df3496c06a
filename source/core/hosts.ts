/**
 * Production and staging may run on different hosts (an environment's `host` in the profile). The session holds
 * one connection per distinct host; these helpers route each question to the host that can answer it and merge
 * the answers, so every screen works the same with one connection or two.
 */
import {type EnvironmentName, ENVIRONMENT_NAMES} from './config/schema.js';
import {type Container, listContainers} from './docker/containers.js';
import {watchContainerEvents} from './docker/events.js';
import {describeError, OpsError} from './errors.js';
import type {HostConnection, Session} from './session.js';
import type {ConnectionState, Transport} from './transport/types.js';

/** The session as seen from one environment's host: `transport` is that host's connection. */
export function sessionOn(session: Session, environment: EnvironmentName): Session {
	const transport = session.transportFor(environment);
	return transport === session.transport ? session : {...session, transport};
}

/** The environment a container name belongs to, if any. */
export function environmentOfContainer(session: Pick<Session, 'profile'>, name: string): EnvironmentName | undefined {
	return ENVIRONMENT_NAMES.find(env => session.profile.environments[env].container === name);
}

const seenOn = new WeakMap<Session, Map<string, Transport>>();

/** The connection to the host a container runs on: its environment's host, else where the last listing saw it, else the main host. */
export function transportForContainer(session: Session, name: string): Transport {
	const environment = environmentOfContainer(session, name);
	if (environment) return session.transportFor(environment);
	return seenOn.get(session)?.get(name) ?? session.transport;
}

/** transportForContainer, after listing every host when the name is not an environment's and more than one host is known. */
export async function locateContainer(session: Session, name: string, signal?: AbortSignal): Promise<Transport> {
	if (!environmentOfContainer(session, name) && session.connections.length > 1 && !seenOn.get(session)?.has(name)) {
		await listAllContainers(session, signal).catch((error: unknown) => {
			if (!(error instanceof PartialListError)) throw error;
		});
	}
	return transportForContainer(session, name);
}

/** The same, as a session view (for core functions that take a session). */
export function sessionForContainer(session: Session, name: string): Session {
	const transport = transportForContainer(session, name);
	return transport === session.transport ? session : {...session, transport};
}

/** Some hosts answered and some did not: the containers of those that did, and why the others did not. */
export class PartialListError extends OpsError {
	/** The environments whose host did not answer. */
	readonly unreachable: EnvironmentName[];

	constructor(readonly containers: Container[], readonly failures: {connection: HostConnection; error: unknown}[]) {
		const first = failures[0]!;
		const what = first.connection.environments.length > 0 ? ` (${first.connection.environments.join(' and ')})` : '';
		super('connection', `${first.connection.transport.label}${what} did not answer: ${describeError(first.error)[0]}`, {
			hint: `The containers of ${containers.length > 0 ? 'the other host are shown' : 'no host could be listed'}; nothing was changed.`,
		});
		this.unreachable = failures.flatMap(f => f.connection.environments);
	}
}

/**
 * Every host's containers, merged. With more than one host each container carries the host it runs on.
 * One host failing does not hide the other's containers: a PartialListError carries them.
 */
export async function listAllContainers(session: Session, signal?: AbortSignal): Promise<Container[]> {
	const multi = session.connections.length > 1;
	const results = await Promise.allSettled(session.connections.map(c => listContainers(c.transport, session.profile, signal)));
	const containers: Container[] = [];
	const failures: {connection: HostConnection; error: unknown}[] = [];
	const seen = new Map<string, Transport>();
	results.forEach((result, i) => {
		const connection = session.connections[i]!;
		if (result.status === 'rejected') {
			failures.push({connection, error: result.reason});
			return;
		}
		for (const container of result.value) {
			// A container of an environment counts only on that environment's host (another host may run one of the same name).
			const environment = container.environment;
			if (multi && environment && !connection.environments.includes(environment)) {
				containers.push({...container, environment: undefined, host: connection.transport.label});
				continue;
			}
			containers.push(multi ? {...container, host: connection.transport.label} : container);
			seen.set(container.name, connection.transport);
		}
	});
	seenOn.set(session, seen);
	// As on one host: production, staging, then the rest by name (and host).
	const rank = (c: Container) => (c.environment === 'production' ? 0 : c.environment === 'staging' ? 1 : 2);
	containers.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name) || (a.host ?? '').localeCompare(b.host ?? ''));
	if (failures.length === 0) return containers;
	if (failures.length === session.connections.length) throw failures[0]!.error;
	throw new PartialListError(containers, failures);
}

/** Docker events from every host; resolves when the signal aborts. */
export async function watchAllContainerEvents(session: Session, onChange: (action: string) => void, signal: AbortSignal): Promise<void> {
	await Promise.all(session.connections.map(c => watchContainerEvents(c.transport, onChange, signal).catch(() => undefined)));
}

/** "root@a:22" or "root@a:22 + root@b:22 (staging)". */
export function hostsLabel(session: Pick<Session, 'connections' | 'transport'>): string {
	if (session.connections.length <= 1) return session.transport.label;
	return session.connections.map(c => (c.main ? c.transport.label : `${c.transport.label} (${c.environments.join(', ')})`)).join(' + ');
}

const RANK: Record<ConnectionState, number> = {connected: 0, idle: 1, connecting: 2, reconnecting: 3, closed: 4, failed: 5};

/** The worst state of all the session's connections (the header shows one). */
export function combinedState(session: Pick<Session, 'connections'>): ConnectionState {
	return session.connections.map(c => c.transport.state).reduce((a, b) => (RANK[b] > RANK[a] ? b : a), 'connected' as ConnectionState);
}

/**
 * Connect every host (each asks its own host-key question). The main host failing is thrown; another host
 * failing is returned as lines to show, so production stays visible when the staging host is down.
 */
export async function connectAll(session: Pick<Session, 'connections'>, signal?: AbortSignal): Promise<string[]> {
	const warnings: string[] = [];
	// One after the other: a host-key question on the terminal must not interleave with another.
	for (const connection of session.connections) {
		try {
			await connection.transport.connect(signal);
		} catch (error) {
			if (connection.main || signal?.aborted) throw error;
			warnings.push(`${connection.transport.label} (${connection.environments.join(' and ')}): ${describeError(error).join(' ')}`);
		}
	}
	return warnings;
}
