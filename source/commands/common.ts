import {type Command, Option} from 'commander';
import {canPrompt, askSecret, confirmHostKeyOnTerminal} from '../core/prompt.js';
import {createSession, type Session} from '../core/session.js';
import {setColor} from '../core/color.js';

export interface CommonOptions {
	config?: string;
	profile?: string;
	host?: string;
	port?: number;
	user?: string;
	identity?: string;
	knownHosts?: string;
	color?: boolean;
	readOnly?: boolean;
	auditFile?: string;
	json?: boolean;
	stagingHost?: string;
}

export function addCommonOptions(command: Command): Command {
	return command
		.option('-c, --config <file>', 'read the profile from this JSON file (never written)')
		.option('-p, --profile <name>', 'use this stored profile')
		.option('--host <alias>', 'host alias or address (resolved through ~/.ssh/config; "local" runs on this machine)')
		.addOption(new Option('--port <n>', 'SSH port').argParser(parsePort))
		.option('--user <name>', 'SSH user')
		.option('--identity <file>', 'SSH private key file')
		.option('--known-hosts <file>', 'known_hosts file to verify the host key against')
		.option('--no-color', 'no colours (NO_COLOR is honoured too)')
		.option('--read-only', 'remove every dangerous action')
		.option('--audit-file <file>', 'where the audit log is appended');
}

function parsePort(value: string): number {
	const n = Number(value);
	if (!Number.isInteger(n) || n < 1 || n > 65_535) throw new Error(`--port must be a number from 1 to 65535, not "${value}"`);
	return n;
}

export function applyColor(options: CommonOptions): void {
	if (options.color === false || 'NO_COLOR' in process.env) {
		setColor(false);
		process.env.FORCE_COLOR = '0';
	}
}

export function sessionFrom(options: CommonOptions, interactive = canPrompt()): Session {
	const overrides: Record<string, string | number> = {};
	if (options.host) overrides.host = options.host;
	if (options.port) overrides.port = options.port;
	if (options.user) overrides.user = options.user;
	if (options.identity) overrides.identityFile = options.identity;
	if (options.knownHosts) overrides.knownHosts = options.knownHosts;
	if (options.stagingHost) overrides.stagingHost = options.stagingHost;
	return createSession({
		...(options.config ? {configFile: options.config} : {}),
		...(options.profile ? {profile: options.profile} : {}),
		...(process.env.JUTSU_OPS_STORE_DIR ? {storeDir: process.env.JUTSU_OPS_STORE_DIR} : {}),
		overrides,
		readOnly: options.readOnly ?? false,
		...(options.auditFile ? {auditFile: options.auditFile} : {}),
		confirmUnknownHost: interactive ? confirmHostKeyOnTerminal : undefined,
		askPassphrase: interactive ? (file: string) => askSecret(`Passphrase for ${file}: `) : undefined,
	});
}
