// scripts/native-rebuild.mjs (the postinstall step): it must tell the truth about ssh2's native crypto binding and
// never fail an install. Whether the binding actually loads depends on the machine (a C++ toolchain, the `node`
// package's headers, install scripts allowed), and without it ssh2 only gets slower, so that is not asserted here:
// bench/logs.bench.mjs prints which crypto it measured, and the script's one line says what it did.
import {spawnSync} from 'node:child_process';
import {cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'native-rebuild.mjs');
const require = createRequire(join(ROOT, 'package.json'));
const SSH2 = dirname(require.resolve('ssh2/package.json'));
const GARBAGE = 'not a shared object: this binding loads under no Node\n';

function run(...args: string[]) {
	const result = spawnSync(process.execPath, [SCRIPT, ...args], {encoding: 'utf8', timeout: 120_000});
	return {status: result.status, lines: result.stdout.trim().split('\n'), stderr: result.stderr};
}

// A scratch install: a copy of ssh2 whose binding is a file that cannot load, its one dependency, and nan (for a build).
const scratch: string[] = [];
function brokenInstall() {
	const root = mkdtempSync(join(tmpdir(), 'jutsu-native-test-'));
	scratch.push(root);
	const ssh2 = join(root, 'node_modules', 'ssh2');
	cpSync(SSH2, ssh2, {recursive: true});
	const binary = join(ssh2, 'lib', 'protocol', 'crypto', 'build', 'Release', 'sshcrypto.node');
	mkdirSync(dirname(binary), {recursive: true});
	writeFileSync(binary, GARBAGE);
	for (const name of ['asn1', 'nan']) symlinkSync(dirname(require.resolve(`${name}/package.json`)), join(root, 'node_modules', name));
	return {root, binary};
}

afterEach(() => {
	for (const dir of scratch.splice(0)) rmSync(dir, {recursive: true, force: true});
});

describe('native-rebuild (postinstall)', () => {
	it('reports in one line what ssh2 uses under the Node running the tests, and exits 0', () => {
		const loads = Boolean(require('ssh2/lib/protocol/crypto.js').bindingAvailable);
		const {status, lines} = run('--check');
		expect(status).toBe(0);
		expect(lines).toHaveLength(1);
		// The script checks the pinned Node: the same one the tests (and `npm run`) run on.
		expect(lines[0]).toContain(`Node ${process.version}`);
		if (loads) expect(lines[0]).toMatch(/^native-rebuild: ssh2's crypto binding loads under Node v[\d.]+; nothing to do$/);
		else expect(lines[0]).toMatch(/^native-rebuild: ssh2's crypto binding does not load under Node v[\d.]+ \(.+\); ssh2 uses its JS crypto/);
	});

	it('says so in one line and exits 0 when there are no headers to rebuild with, leaving the binding as it was', () => {
		const {root, binary} = brokenInstall();
		const empty = mkdtempSync(join(root, 'no-headers-'));
		const {status, lines} = run('--root', root, '--nodedir', empty);
		expect(status).toBe(0);
		expect(lines).toHaveLength(1);
		expect(lines[0]).toContain(`ssh2's crypto binding does not load under Node ${process.version}`);
		expect(lines[0]).toContain(`no headers for Node ${process.version}`);
		expect(lines[0]).toContain('ssh2 uses its JS crypto');
		expect(readFileSync(binary, 'utf8')).toBe(GARBAGE);
	});

	it('exits 0 with one line when the rebuild itself fails, and puts the previous binding back', () => {
		const {root, binary} = brokenInstall();
		// Headers that claim the right version and ABI but hold nothing to compile against.
		const fake = join(root, 'fake-headers');
		mkdirSync(join(fake, 'include', 'node'), {recursive: true});
		const [major, minor, patch] = process.version.slice(1).split('.');
		writeFileSync(join(fake, 'include', 'node', 'node_version.h'), `#define NODE_MAJOR_VERSION ${major}\n#define NODE_MINOR_VERSION ${minor}\n#define NODE_PATCH_VERSION ${patch}\n#define NODE_MODULE_VERSION ${process.versions.modules}\n`);
		const {status, lines, stderr} = run('--root', root, '--nodedir', fake);
		expect(status, stderr).toBe(0);
		expect(lines).toHaveLength(1);
		expect(lines[0]).toMatch(/^native-rebuild: rebuild failed after [\d.]+ s; failed: ssh2: .+: ssh2's crypto binding still does not load \(.+\); ssh2 uses its JS crypto .+\(log: .+\)$/);
		expect(readFileSync(binary, 'utf8')).toBe(GARBAGE);
	});

	it('exits 0 with one line when ssh2 is not installed at all', () => {
		const root = mkdtempSync(join(tmpdir(), 'jutsu-native-test-'));
		scratch.push(root);
		const {status, lines} = run('--root', root);
		expect(status).toBe(0);
		expect(lines).toEqual([`native-rebuild: ssh2 is not installed under ${root}; nothing to do`]);
	});
});
