import {existsSync, readFileSync} from 'node:fs';
import {homedir} from 'node:os';
import {join} from 'node:path';
import SSHConfig from 'ssh-config';

export interface HostSpec {
	alias: string;
	port?: number | undefined;
	user?: string | undefined;
	identityFile?: string | undefined;
	knownHosts?: string | undefined;
}

export interface ResolvedHost {
	alias: string;
	hostname: string;
	port: number;
	user: string;
	identityFiles: string[];
	knownHosts: string;
	/** Where the values came from, for messages. */
	fromSshConfig: boolean;
}

function expandHome(path: string): string {
	return path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
}

function first(value: string | string[] | undefined): string | undefined {
	return Array.isArray(value) ? value[0] : value;
}

/** Resolve a host alias through ~/.ssh/config (HostName, Port, User, IdentityFile, UserKnownHostsFile); profile values win. */
export function resolveHost(spec: HostSpec, sshConfigFile = process.env.JUTSU_OPS_SSH_CONFIG ?? join(homedir(), '.ssh', 'config')): ResolvedHost {
	let computed: Record<string, string | string[]> = {};
	if (existsSync(sshConfigFile)) {
		try {
			computed = SSHConfig.parse(readFileSync(sshConfigFile, 'utf8')).compute(spec.alias, {ignoreCase: true}) as Record<string, string | string[]>;
		} catch {
			computed = {};
		}
	}
	const get = (key: string) => first(computed[key.toLowerCase()]);
	const identity = computed['identityfile'];
	const identityFiles = spec.identityFile
		? [spec.identityFile]
		: (Array.isArray(identity) ? identity : identity ? [identity] : []);
	const hostname = get('HostName')?.replaceAll('%h', spec.alias) ?? spec.alias;
	const knownHostsRaw = spec.knownHosts ?? get('UserKnownHostsFile')?.split(/\s+/u)[0];
	return {
		alias: spec.alias,
		hostname,
		port: spec.port ?? Number(get('Port') ?? 22),
		user: spec.user ?? get('User') ?? 'root',
		identityFiles: identityFiles.map(expandHome),
		knownHosts: expandHome(knownHostsRaw ?? '~/.ssh/known_hosts'),
		fromSshConfig: Object.keys(computed).length > 1,
	};
}
