import {createHmac, generateKeyPairSync} from 'node:crypto';
import {mkdtempSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {appendKnownHost, checkHostKey, fingerprint, hostToken, keyTypeOf, parseKnownHosts} from '../../source/core/transport/known-hosts.js';

function sshEd25519Blob(): Buffer {
	const {publicKey} = generateKeyPairSync('ed25519');
	const raw = publicKey.export({format: 'der', type: 'spki'}).subarray(-32);
	const type = Buffer.from('ssh-ed25519');
	const header = Buffer.alloc(4);
	header.writeUInt32BE(type.length);
	const len = Buffer.alloc(4);
	len.writeUInt32BE(raw.length);
	return Buffer.concat([header, type, len, raw]);
}

const keyA = sshEd25519Blob();
const keyB = sshEd25519Blob();
const b64 = (k: Buffer) => k.toString('base64');

function hashed(token: string, salt = Buffer.from('0123456789abcdefghij')): string {
	return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(token).digest('base64')}`;
}

describe('known_hosts', () => {
	it('matches a plain host on port 22 and a [host]:port entry on another port', () => {
		const entries = parseKnownHosts(`tower.local ssh-ed25519 ${b64(keyA)}\n[127.0.0.1]:2222 ssh-ed25519 ${b64(keyB)}\n`);
		expect(checkHostKey(entries, 'tower.local', 22, keyA).status).toBe('known');
		expect(checkHostKey(entries, '127.0.0.1', 2222, keyB).status).toBe('known');
		// The port-22 entry says nothing about port 2222 of the same name.
		expect(checkHostKey(entries, 'tower.local', 2222, keyA).status).toBe('unknown');
	});

	it('matches hashed |1|salt|hash entries, including the [host]:port form', () => {
		const entries = parseKnownHosts(`${hashed('[127.0.0.1]:2222')} ssh-ed25519 ${b64(keyA)}\n`);
		expect(checkHostKey(entries, '127.0.0.1', 2222, keyA).status).toBe('known');
		expect(checkHostKey(entries, '127.0.0.1', 22, keyA).status).toBe('unknown');
	});

	it('reports a changed key of the same type as changed, naming the line', () => {
		const entries = parseKnownHosts(`# comment\n${hashed('tower.local')} ssh-ed25519 ${b64(keyA)}\n`);
		const verdict = checkHostKey(entries, 'tower.local', 22, keyB);
		expect(verdict.status).toBe('changed');
		expect(verdict.status === 'changed' && verdict.expected[0]?.line).toBe(2);
	});

	it('honours comma lists, wildcards, negation and @revoked', () => {
		const entries = parseKnownHosts([
			`tower,tower.local,192.168.1.5 ssh-ed25519 ${b64(keyA)}`,
			`*.lab,!bad.lab ssh-ed25519 ${b64(keyB)}`,
			`@revoked * ssh-ed25519 ${b64(keyB)}`,
		].join('\n'));
		expect(checkHostKey(entries, '192.168.1.5', 22, keyA).status).toBe('known');
		expect(checkHostKey(entries, 'bad.lab', 22, keyA).status).toBe('unknown');
		expect(checkHostKey(entries, 'good.lab', 22, keyB).status).toBe('revoked');
	});

	it('records a trusted key in hashed form that it then recognises', () => {
		const file = join(mkdtempSync(join(tmpdir(), 'kh-')), 'known_hosts');
		appendKnownHost(file, '127.0.0.1', 2222, keyA);
		const text = readFileSync(file, 'utf8');
		expect(text).toMatch(/^\|1\|/u);
		expect(text).not.toContain('127.0.0.1');
		expect(checkHostKey(parseKnownHosts(text), '127.0.0.1', 2222, keyA).status).toBe('known');
	});

	it('shows OpenSSH-style fingerprints and key types', () => {
		expect(fingerprint(keyA)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/u);
		expect(keyTypeOf(keyA)).toBe('ssh-ed25519');
		expect(hostToken('h', 22)).toBe('h');
		expect(hostToken('h', 2222)).toBe('[h]:2222');
	});
});
