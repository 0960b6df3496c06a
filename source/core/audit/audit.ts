import {appendFileSync, existsSync, mkdirSync, readFileSync} from 'node:fs';
import {homedir} from 'node:os';
import {dirname, join} from 'node:path';
import {scrubber} from '../secrets.js';

export interface AuditEntry {
	time: string;
	host: string;
	kind: 'command' | 'action';
	/** The command as run, with secret values masked. */
	command?: string;
	action?: string;
	detail?: string;
	exitCode?: number | null;
	durationMs?: number;
	outcome?: 'ok' | 'failed' | 'aborted' | 'timeout' | 'error';
}

export function defaultAuditFile(): string {
	if (process.env.JUTSU_OPS_AUDIT_FILE) return process.env.JUTSU_OPS_AUDIT_FILE;
	const base = process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state');
	return join(base, 'jutsu-ops', 'audit.jsonl');
}

/** Append-only JSON-lines record of every remote command and action; secrets are masked before writing. */
export class AuditLog {
	readonly file: string | undefined;

	constructor(file: string | undefined = defaultAuditFile()) {
		this.file = file;
	}

	record(entry: Omit<AuditEntry, 'time'>): void {
		if (!this.file) return;
		const safe: AuditEntry = {time: new Date().toISOString(), ...entry};
		if (safe.command) safe.command = scrubber.scrub(safe.command);
		if (safe.detail) safe.detail = scrubber.scrub(safe.detail);
		if (safe.action) safe.action = scrubber.scrub(safe.action);
		try {
			if (!existsSync(dirname(this.file))) mkdirSync(dirname(this.file), {recursive: true, mode: 0o700});
			appendFileSync(this.file, `${JSON.stringify(safe)}\n`, {mode: 0o600});
		} catch {
			// The audit log must never break an operation; a missing log shows in the Audit screen as empty.
		}
	}

	/** The last `limit` entries, newest last. */
	read(limit = 500): AuditEntry[] {
		if (!this.file || !existsSync(this.file)) return [];
		const lines = readFileSync(this.file, 'utf8').split('\n').filter(Boolean);
		return lines.slice(-limit).flatMap(line => {
			try {
				return [JSON.parse(line) as AuditEntry];
			} catch {
				return [];
			}
		});
	}
}
