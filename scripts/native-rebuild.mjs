#!/usr/bin/env node
// postinstall: make ssh2's optional native crypto binding (sshcrypto.node) load under the Node that runs the app.
//
// Why: `npm ci` runs ssh2's install script (node-gyp) under whatever npm finds, and on a machine whose npm config
// says `nodedir=/usr` (Debian's nodejs) the binding is compiled against the system Node's headers (20), so it does
// not load under the pinned Node 24 (node_modules/node, what `npm run`/`npm test` use). ssh2 then silently falls
// back to JS crypto: correct, but a fresh Decipheriv per SSH packet makes the log view lag under a flood
// (bench/RESULTS-logs.md).
//
// What: ask the pinned Node whether ssh2's binding loads (ssh2's own signal: `bindingAvailable` in
// lib/protocol/crypto.js). If it does: nothing to do. If not: rebuild ssh2's binding (and cpu-features, which ssh2
// uses to order its ciphers) with npm's node-gyp against headers of the same Node ABI (the `node` package's
// platform package node_modules/node/node_modules/node-<os>-<arch>/include/node), then ask again.
// Prints one line. Exits 0 whatever happens: without the binding ssh2 still works, only slower.
//
//   node scripts/native-rebuild.mjs            check, rebuild if needed, check again
//   node scripts/native-rebuild.mjs --check    only report what ssh2 uses under the pinned Node
//   options: --root DIR (the install whose node_modules to look at; default: this package),
//            --nodedir DIR (headers to build against; default: found as above)
import {spawnSync} from 'node:child_process';
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import {delimiter, dirname, join, relative, resolve, sep} from 'node:path';
import {fileURLToPath} from 'node:url';

const PREFIX = 'native-rebuild:';
const FALLBACK = 'ssh2 uses its JS crypto (works, slower under log floods)';

function option(name) {
	const i = process.argv.indexOf(name);
	return i > 0 && process.argv[i + 1] ? resolve(process.argv[i + 1]) : undefined;
}

const root = option('--root') ?? resolve(dirname(fileURLToPath(import.meta.url)), '..');
const show = path => (path === root || path.startsWith(root + sep) ? relative(root, path) || '.' : path);
const done = line => {
	console.log(`${PREFIX} ${line}`);
	process.exit(0);
};

// The Node the app runs on: the pinned `node` devDependency if installed, else the Node running this script.
function pinnedNode(req) {
	try {
		const pkgFile = req.resolve('node/package.json');
		const bin = JSON.parse(readFileSync(pkgFile, 'utf8')).bin?.node ?? 'bin/node';
		const file = join(dirname(pkgFile), bin);
		if (statSync(file).isFile()) return {file, pkgDir: dirname(pkgFile)};
	} catch {}
	return {file: process.execPath, pkgDir: undefined};
}

// Run in the pinned Node: does ssh2's binding load (ssh2's own test), and cpu-features? Why not, if not?
const PROBE = String.raw`
const [ssh2Dir, cpuDir] = process.argv.slice(1);
const out = {version: process.version, modules: process.versions.modules, openssl: process.versions.openssl};
out.binding = !!require(ssh2Dir + '/lib/protocol/crypto.js').bindingAvailable;
if (!out.binding) {
	try { require(ssh2Dir + '/lib/protocol/crypto/build/Release/sshcrypto.node'); } catch (e) { out.bindingError = String(e.message).split('\n')[0]; }
}
if (cpuDir) {
	try { require(cpuDir)(); out.cpu = true; } catch (e) { out.cpu = false; out.cpuError = String(e.message).split('\n')[0]; }
}
process.stdout.write(JSON.stringify(out));
`;

function probe(node, ssh2Dir, cpuDir) {
	const r = spawnSync(node, ['-e', PROBE, ssh2Dir, cpuDir ?? ''], {encoding: 'utf8', timeout: 30_000});
	if (r.status !== 0) throw new Error(`${show(node)} could not load ssh2: ${(r.stderr || r.error?.message || '').trim().split('\n').find(l => /Error/.test(l)) ?? `exit ${r.status}`}`);
	return JSON.parse(r.stdout);
}

// Headers for the pinned Node's ABI: --nodedir, the `node` package's platform package, or the prefix the binary
// lives in (a normal installation: <prefix>/include/node).
function headerDirs(node, pkgDir) {
	const dirs = [];
	const given = option('--nodedir');
	if (given) return [given];
	if (pkgDir) {
		const nested = join(pkgDir, 'node_modules');
		try {
			for (const name of readdirSync(nested)) if (/^node(-bin)?-/.test(name)) dirs.push(join(nested, name));
		} catch {}
	}
	try {
		dirs.push(dirname(dirname(realpathSync(node))));
	} catch {}
	return dirs;
}

function headerVersion(dir) {
	try {
		const h = readFileSync(join(dir, 'include', 'node', 'node_version.h'), 'utf8');
		const num = name => new RegExp(`#define ${name} (\\d+)`).exec(h)?.[1];
		return {version: `v${num('NODE_MAJOR_VERSION')}.${num('NODE_MINOR_VERSION')}.${num('NODE_PATCH_VERSION')}`, modules: num('NODE_MODULE_VERSION')};
	} catch {
		return undefined;
	}
}

function findNodeGyp(req) {
	const candidates = [];
	if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
	if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
	for (const dir of (process.env.PATH ?? '').split(delimiter)) {
		try {
			const npm = realpathSync(join(dir, 'npm'));
			candidates.push(join(dirname(npm), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
		} catch {}
	}
	try {
		candidates.push(req.resolve('node-gyp/bin/node-gyp.js'));
	} catch {}
	return candidates.find(file => existsSync(file));
}

// node-gyp rebuild in one package directory; on failure the previous binary is put back. Returns an error or undefined.
function rebuild({node, nodeGyp, nodedir, dir, binary, args, log}) {
	const backup = mkdtempSync(join(tmpdir(), 'jutsu-native-'));
	const had = existsSync(binary);
	if (had) copyFileSync(binary, join(backup, 'previous.node'));
	const env = {...process.env, npm_config_nodedir: nodedir, PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ''}`};
	for (const key of ['npm_config_target', 'npm_config_runtime', 'npm_config_disturl', 'npm_config_dist_url']) delete env[key];
	const r = spawnSync(node, [nodeGyp, 'rebuild', `--nodedir=${nodedir}`, ...args, '-j', 'max'], {cwd: dir, env, encoding: 'utf8', timeout: 300_000});
	log.push(`$ (cd ${dir} && ${node} ${nodeGyp} rebuild --nodedir=${nodedir} ${args.join(' ')} -j max)`, r.stdout ?? '', r.stderr ?? '', r.error ? String(r.error) : '');
	// The compiler's first error says most (a missing header, a missing compiler); else node-gyp's own last word.
	const output = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.split('\n');
	const failed = r.status === 0 ? undefined : r.error?.message
		?? output.find(l => !l.startsWith('gyp ') && /(^|\s)(fatal )?error:/.test(l))?.trim()
		?? output.findLast(l => /error/i.test(l))?.replace(/^gyp ERR! (stack )?/, '').trim()
		?? `node-gyp exit ${r.status}`;
	if (failed && had && !existsSync(binary)) {
		try {
			mkdirSync(dirname(binary), {recursive: true});
			copyFileSync(join(backup, 'previous.node'), binary);
		} catch {}
	}
	rmSync(backup, {recursive: true, force: true});
	return failed;
}

try {
	const req = createRequire(join(root, 'package.json'));
	let ssh2Dir;
	try {
		ssh2Dir = dirname(req.resolve('ssh2/package.json'));
	} catch {
		done(`ssh2 is not installed under ${root}; nothing to do`);
	}
	let cpuDir;
	try {
		cpuDir = dirname(createRequire(join(ssh2Dir, 'package.json')).resolve('cpu-features/package.json'));
	} catch {}
	const {file: node, pkgDir} = pinnedNode(req);
	const before = probe(node, ssh2Dir, cpuDir);
	const cpuOk = before.cpu !== false;
	if (before.binding && cpuOk) done(`ssh2's crypto binding loads under Node ${before.version}; nothing to do`);
	const why = before.binding ? `cpu-features does not load under Node ${before.version} (${before.cpuError})` : `ssh2's crypto binding does not load under Node ${before.version} (${before.bindingError ?? 'not built'})`;
	if (process.argv.includes('--check')) done(`${why}; ${FALLBACK}`);

	const found = headerDirs(node, pkgDir).map(dir => ({dir, ...headerVersion(dir)})).filter(h => h.modules === before.modules);
	const headers = found.find(h => h.version === before.version) ?? found[0];
	if (!headers) done(`${why}; no headers for Node ${before.version} (ABI ${before.modules}) found (looked in ${headerDirs(node, pkgDir).map(show).join(', ') || 'nothing'}); ${FALLBACK}`);
	const nodeGyp = findNodeGyp(req);
	if (!nodeGyp) done(`${why}; node-gyp not found (npm ships one); ${FALLBACK}`);

	const started = Date.now();
	const log = [];
	const failures = [];
	const rebuilt = [];
	if (!before.binding) {
		const error = rebuild({node, nodeGyp, nodedir: headers.dir, dir: join(ssh2Dir, 'lib', 'protocol', 'crypto'), binary: join(ssh2Dir, 'lib', 'protocol', 'crypto', 'build', 'Release', 'sshcrypto.node'), args: [`--real_openssl_major=${/^\d+/.exec(before.openssl)?.[0] ?? '0'}`], log});
		if (error) failures.push(`ssh2: ${error}`);
		else rebuilt.push('ssh2');
	}
	if (cpuDir && !cpuOk) {
		// cpu-features' install script writes buildcheck.gypi first; keep the one it wrote, or write it again.
		const check = join(cpuDir, 'buildcheck.gypi');
		if (!existsSync(check) || statSync(check).size === 0) {
			const r = spawnSync(node, ['buildcheck.js'], {cwd: cpuDir, encoding: 'utf8'});
			if (r.status === 0) writeFileSync(check, r.stdout);
		}
		const error = rebuild({node, nodeGyp, nodedir: headers.dir, dir: cpuDir, binary: join(cpuDir, 'build', 'Release', 'cpufeatures.node'), args: [], log});
		if (error) failures.push(`cpu-features: ${error}`);
		else rebuilt.push('cpu-features');
	}
	const after = probe(node, ssh2Dir, cpuDir);
	const seconds = ((Date.now() - started) / 1000).toFixed(1);
	let logNote = '';
	if (failures.length > 0 || !after.binding) {
		const logFile = join(tmpdir(), 'jutsu-native-rebuild.log');
		try {
			writeFileSync(logFile, log.join('\n'));
			logNote = ` (log: ${logFile})`;
		} catch {}
	}
	const what = rebuilt.length > 0 ? `rebuilt ${rebuilt.join(' and ')} for Node ${after.version} with the headers in ${show(headers.dir)} in ${seconds} s` : `rebuild failed after ${seconds} s`;
	const problems = failures.length > 0 ? `; failed: ${failures.join('; ')}` : '';
	if (after.binding) done(`${what}${problems}: ssh2's crypto binding loads${cpuDir && after.cpu === false ? ' (cpu-features does not: only ssh2\'s cipher order is affected)' : ''}${logNote}`);
	done(`${what}${problems}: ssh2's crypto binding still does not load (${after.bindingError ?? 'not built'}); ${FALLBACK}${logNote}`);
} catch (error) {
	done(`could not check ssh2's crypto binding (${String(error?.message ?? error).split('\n')[0]}); ${FALLBACK}`);
}
