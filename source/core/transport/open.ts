import type {AuditLog} from '../audit/audit.js';
import type {HostProfile, Profile} from '../config/schema.js';
import {LocalTransport} from './local.js';
import {resolveHost} from './resolve.js';
import {type HostKeyPrompt, SshTransport} from './ssh.js';
import type {Transport} from './types.js';

export interface OpenOptions {
	audit?: AuditLog | undefined;
	confirmUnknownHost?: ((prompt: HostKeyPrompt) => Promise<boolean>) | undefined;
	askPassphrase?: ((keyFile: string) => Promise<string | undefined>) | undefined;
	reconnect?: boolean;
}

/** One transport per host: SSH, or bash on this machine when the host alias is `local`. */
export function openTransport(profile: Profile, options: OpenOptions = {}, host: HostProfile = profile.host): Transport {
	if (host.alias === 'local') {
		return new LocalTransport({commandTimeoutMs: profile.timeouts.commandMs, audit: options.audit});
	}
	return new SshTransport({
		host: resolveHost(host),
		connectTimeoutMs: profile.timeouts.connectMs,
		commandTimeoutMs: profile.timeouts.commandMs,
		audit: options.audit,
		confirmUnknownHost: options.confirmUnknownHost,
		askPassphrase: options.askPassphrase,
		reconnect: options.reconnect ?? true,
	});
}
