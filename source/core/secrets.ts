import {createHash} from 'node:crypto';

// CLIENT_ID: an OAuth client id (Schwab's "App Key") is a credential too.
export const DEFAULT_SECRET_PATTERNS = ['SECRET', 'PASSWORD', 'PASSWD', 'TOKEN', 'KEY', 'CREDENTIAL', 'PRIVATE', 'CLIENT_ID'];

export const MASK = '••••••';

export function isSecretName(name: string, patterns: readonly string[] = DEFAULT_SECRET_PATTERNS): boolean {
	const upper = name.toUpperCase();
	return patterns.some(p => upper.includes(p.toUpperCase()));
}

/** A short, salted-per-process hash: lets two secrets be compared without keeping either. */
const SALT = createHash('sha256').update(String(process.pid) + String(Date.now()) + Math.random()).digest();
export function secretHash(value: string): string {
	return createHash('sha256').update(SALT).update(value).digest('hex').slice(0, 32);
}

export interface EnvVar {
	name: string;
	/** The value, or MASK when the name is secret. */
	value: string;
	secret: boolean;
	/** Present for secret values: hash for equality checks; empty string when the value is empty. */
	hash?: string;
	/** Whether a secret had a non-empty value. */
	set: boolean;
}

/** Parse Docker's `KEY=VALUE` env list, masking secret values at the source. */
export function maskEnv(env: readonly string[] | null | undefined, patterns?: readonly string[]): EnvVar[] {
	const out: EnvVar[] = [];
	for (const entry of env ?? []) {
		const eq = entry.indexOf('=');
		const name = eq === -1 ? entry : entry.slice(0, eq);
		const value = eq === -1 ? '' : entry.slice(eq + 1);
		if (isSecretName(name, patterns)) {
			out.push({name, value: MASK, secret: true, set: value !== '', hash: value === '' ? '' : secretHash(value)});
		} else {
			out.push({name, value, secret: false, set: value !== ''});
		}
	}
	return out;
}

/**
 * Scrub known secret values out of free text (commands for the audit log, error messages).
 * Values shorter than 4 characters are not scrubbed, to avoid mangling ordinary text.
 */
export class SecretScrubber {
	private readonly values = new Set<string>();

	add(value: string | undefined): void {
		if (value && value.length >= 4) this.values.add(value);
	}

	scrub(text: string): string {
		let out = text;
		for (const v of this.values) out = out.split(v).join(MASK);
		// Inline assignments such as PGPASSWORD=... or --password=...
		out = out.replace(/\b([A-Z0-9_]*(?:SECRET|PASSWORD|PASSWD|TOKEN|KEY)[A-Z0-9_]*)=(?:'[^']*'|"[^"]*"|[^\s'"]+)/giu, `$1=${MASK}`);
		return out;
	}
}

export const scrubber = new SecretScrubber();
