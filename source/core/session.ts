import {AuditLog} from './audit/audit.js';
import {type LoadOptions, loadProfile} from './config/load.js';
import type {Profile} from './config/schema.js';
import {type OpenOptions, openTransport} from './transport/open.js';
import type {Transport} from './transport/types.js';

/** Everything one run of the tool works with: the profile, the one connection to the host, the audit log. */
export interface Session {
	profile: Profile;
	profileName: string;
	profileSource: string;
	transport: Transport;
	audit: AuditLog;
	readOnly: boolean;
	close(): Promise<void>;
}

export interface SessionOptions extends LoadOptions, Omit<OpenOptions, 'audit'> {
	readOnly?: boolean;
	auditFile?: string;
}

export function createSession(options: SessionOptions): Session {
	const loaded = loadProfile(options);
	const audit = new AuditLog(options.auditFile);
	const transport = openTransport(loaded.profile, {
		audit,
		confirmUnknownHost: options.confirmUnknownHost,
		askPassphrase: options.askPassphrase,
		...(options.reconnect === undefined ? {} : {reconnect: options.reconnect}),
	});
	return {
		profile: loaded.profile,
		profileName: loaded.name,
		profileSource: loaded.source,
		transport,
		audit,
		readOnly: options.readOnly ?? false,
		close: () => transport.close(),
	};
}
