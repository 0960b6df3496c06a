import {createHash, createHmac, randomBytes} from 'node:crypto';
import {appendFileSync, existsSync, mkdirSync, readFileSync} from 'node:fs';
import {dirname} from 'node:path';

export interface KnownHostEntry {
	marker?: '@cert-authority' | '@revoked';
	patterns: string[];
	hashed?: {salt: Buffer; hash: Buffer};
	keyType: string;
	key: Buffer;
	line: number;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function hostToken(host: string, port: number): string {
	return port === 22 ? host : `[${host}]:${port}`;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
	const entries: KnownHostEntry[] = [];
	text.split(/\r?\n/u).forEach((raw, index) => {
		const line = raw.trim();
		if (line === '' || line.startsWith('#')) return;
		const fields = line.split(/\s+/u);
		let marker: KnownHostEntry['marker'];
		if (fields[0] === '@cert-authority' || fields[0] === '@revoked') marker = fields.shift() as KnownHostEntry['marker'];
		const [hosts, keyType, keyB64] = fields;
		if (!hosts || !keyType || !keyB64) return;
		const key = Buffer.from(keyB64, 'base64');
		if (key.length === 0) return;
		const entry: KnownHostEntry = {patterns: [], keyType, key, line: index + 1};
		if (marker) entry.marker = marker;
		if (hosts.startsWith('|1|')) {
			const [, , salt, hash] = hosts.split('|');
			if (!salt || !hash) return;
			entry.hashed = {salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64')};
		} else {
			entry.patterns = hosts.split(',');
		}
		entries.push(entry);
	});
	return entries;
}

function globToRegExp(pattern: string): RegExp {
	const escaped = pattern.replace(/[.+^${}()|[\]\\]/gu, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
	return new RegExp(`^${escaped}$`, 'iu');
}

function matchesPatterns(patterns: readonly string[], token: string): boolean {
	let matched = false;
	for (const pattern of patterns) {
		if (pattern.startsWith('!')) {
			if (globToRegExp(pattern.slice(1)).test(token)) return false;
		} else if (globToRegExp(pattern).test(token)) {
			matched = true;
		}
	}
	return matched;
}

export function entryMatches(entry: KnownHostEntry, host: string, port: number): boolean {
	const token = hostToken(host, port);
	if (entry.hashed) {
		const digest = createHmac('sha1', entry.hashed.salt).update(token).digest();
		return digest.equals(entry.hashed.hash);
	}
	return matchesPatterns(entry.patterns, token);
}

export type HostKeyVerdict =
	| {status: 'known'; entry: KnownHostEntry}
	| {status: 'unknown'}
	| {status: 'changed'; expected: KnownHostEntry[]}
	| {status: 'revoked'; entry: KnownHostEntry};

/** Decide what a presented host key means for host:port, given known_hosts entries. */
export function checkHostKey(entries: readonly KnownHostEntry[], host: string, port: number, key: Buffer): HostKeyVerdict {
	const forHost = entries.filter(e => entryMatches(e, host, port));
	const revoked = forHost.find(e => e.marker === '@revoked' && e.key.equals(key));
	if (revoked) return {status: 'revoked', entry: revoked};
	const plain = forHost.filter(e => !e.marker);
	const same = plain.find(e => e.key.equals(key));
	if (same) return {status: 'known', entry: same};
	const type = keyTypeOf(key);
	// A key of another type recorded for this host does not prove a change (the server has several);
	// a different key of the same type does.
	const sameType = plain.filter(e => e.keyType === type);
	if (sameType.length > 0) return {status: 'changed', expected: sameType};
	return {status: 'unknown'};
}

/** The key type encoded at the start of an SSH public key blob. */
export function keyTypeOf(key: Buffer): string {
	if (key.length < 4) return 'unknown';
	const length = key.readUInt32BE(0);
	return key.subarray(4, 4 + length).toString('latin1');
}

/** OpenSSH's `SHA256:...` fingerprint (unpadded base64). */
export function fingerprint(key: Buffer): string {
	return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/u, '')}`;
}

/** Key types already recorded for a host, to prefer them during negotiation. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
	return [...new Set(entries.filter(e => !e.marker && entryMatches(e, host, port)).map(e => e.keyType))];
}

export function readKnownHosts(file: string): KnownHostEntry[] {
	if (!existsSync(file)) return [];
	return parseKnownHosts(readFileSync(file, 'utf8'));
}

/** Append a hashed entry, as OpenSSH does with HashKnownHosts. */
export function appendKnownHost(file: string, host: string, port: number, key: Buffer): void {
	const salt = randomBytes(20);
	const hash = createHmac('sha1', salt).update(hostToken(host, port)).digest();
	mkdirSync(dirname(file), {recursive: true, mode: 0o700});
	appendFileSync(file, `|1|${salt.toString('base64')}|${hash.toString('base64')} ${keyTypeOf(key)} ${key.toString('base64')}\n`, {mode: 0o600});
}
