import {AuditLog} from './audit/audit.js';
import {type LoadOptions, loadProfile} from './config/load.js';
import {type EnvironmentName, ENVIRONMENT_NAMES, type HostProfile, type Profile} from './config/schema.js';
import {type OpenOptions, openTransport} from './transport/open.js';
import type {Transport} from './transport/types.js';

/** One host the session talks to, and the environments whose containers run there. */
export interface HostConnection {
	transport: Transport;
	environments: EnvironmentName[];
	/** The profile's own host: PostgreSQL, the sync script and its schedule, the promotion lock live there. */
	main: boolean;
}

/** Everything one run of the tool works with: the profile, one connection per host, the audit log. */
export interface Session {
	profile: Profile;
	profileName: string;
	profileSource: string;
	/** The profile's host (PostgreSQL, sync, locks); also every environment's unless it names its own. */
	transport: Transport;
	/** The connection to the host an environment's container runs on. */
	transportFor(environment: EnvironmentName): Transport;
	/** Every distinct host, the main one first. One entry when both environments share the profile's host. */
	connections: HostConnection[];
	audit: AuditLog;
	readOnly: boolean;
	close(): Promise<void>;
}

export interface SessionOptions extends LoadOptions, Omit<OpenOptions, 'audit'> {
	readOnly?: boolean;
	auditFile?: string;
}

/** The host an environment's container runs on. */
export function environmentHost(profile: Profile, environment: EnvironmentName): HostProfile {
	return profile.environments[environment].host ?? profile.host;
}

/** Two host entries are one host when they name the same alias, port and user (after defaults). */
export function hostKey(host: HostProfile): string {
	return `${host.user ?? ''}@${host.alias}:${host.port ?? ''}`;
}

/** Connections for a profile: one per distinct host, shared by the environments on it. */
export function openConnections(profile: Profile, open: (host: HostProfile) => Transport): HostConnection[] {
	const byKey = new Map<string, HostConnection>();
	byKey.set(hostKey(profile.host), {transport: open(profile.host), environments: [], main: true});
	for (const environment of ENVIRONMENT_NAMES) {
		const host = environmentHost(profile, environment);
		const key = hostKey(host);
		let connection = byKey.get(key);
		if (!connection) {
			connection = {transport: open(host), environments: [], main: false};
			byKey.set(key, connection);
		}
		connection.environments.push(environment);
	}
	return [...byKey.values()];
}

export function sessionOver(profile: Profile, connections: HostConnection[], rest: Pick<Session, 'profileName' | 'profileSource' | 'audit' | 'readOnly'>): Session {
	const main = connections.find(c => c.main) ?? connections[0]!;
	return {
		...rest,
		profile,
		transport: main.transport,
		transportFor: environment => (connections.find(c => c.environments.includes(environment)) ?? main).transport,
		connections,
		close: async () => {
			await Promise.all(connections.map(c => c.transport.close()));
		},
	};
}

export function createSession(options: SessionOptions): Session {
	const loaded = loadProfile(options);
	const audit = new AuditLog(options.auditFile);
	const openOptions: OpenOptions = {
		audit,
		confirmUnknownHost: options.confirmUnknownHost,
		askPassphrase: options.askPassphrase,
		...(options.reconnect === undefined ? {} : {reconnect: options.reconnect}),
	};
	const connections = openConnections(loaded.profile, host => openTransport(loaded.profile, openOptions, host));
	return sessionOver(loaded.profile, connections, {
		profileName: loaded.name,
		profileSource: loaded.source,
		audit,
		readOnly: options.readOnly ?? false,
	});
}
