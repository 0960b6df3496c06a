#!/usr/bin/env node
// Log view under a flood, against the lab (run through bench/run.mjs, which builds and brings the lab up):
//  1. lines per second reaching the log view vs `ssh host docker logs -f` to /dev/null, same container, same run (ratio);
//  2. resident memory after one million lines went through the view;
//  3. key-to-frame latency while streaming vs idle (ratio).
import {execFileSync, spawn} from 'node:child_process';
import {mkdtempSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import v8 from 'node:v8';
import {runInNewContext} from 'node:vm';
import {join, resolve} from 'node:path';

// Measure what the binary runs: React's production build (dist/cli.js sets the same default).
process.env.NODE_ENV ??= 'production';
const {render} = await import('ink-testing-library');
const {createElement} = await import('react');
const ROOT = resolve(import.meta.dirname, '..');
const LAB = process.env.JUTSU_LAB_DIR ?? '/tmp/jutsu-lab';
const {createSession} = await import(join(ROOT, 'dist/core/session.js'));
const {servicesFor} = await import(join(ROOT, 'dist/tui.js'));
const {LogsScreen} = await import(join(ROOT, 'dist/ui/screens/LogsScreen.js'));

const NAME = `jutsu-bench-flood-${process.pid}`;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const sleep = ms => new Promise(r => setTimeout(r, ms));
const docker = (...args) => execFileSync('docker', args, {encoding: 'utf8'}).trim();

docker('run', '-d', '--name', NAME, '--network', 'none', 'jutsu-lab/busybox:base', 'sh', '-c',
	'i=0; while :; do i=$((i+1)); echo "flood seq=$i lorem ipsum dolor sit amet consectetur adipiscing elit"; done');
const cleanup = () => {
	try {
		execFileSync('docker', ['rm', '-f', NAME], {stdio: 'ignore'});
	} catch {}
};
process.on('exit', cleanup);
await sleep(500);

// 1a. Baseline: OpenSSH's client, `docker logs -f` to /dev/null (counted by wc -l), for SECONDS.
const sshArgs = ['-F', 'none', '-i', join(LAB, 'ssh/id_ed25519'), '-o', `UserKnownHostsFile=${join(LAB, 'ssh/known_hosts')}`, '-o', 'BatchMode=yes', '-p', '2222', 'root@127.0.0.1'];
const baselineLines = Number(execFileSync('bash', ['-c', `timeout ${SECONDS} ssh ${sshArgs.map(a => `'${a}'`).join(' ')} docker logs -f --tail 0 ${NAME} | wc -l`], {encoding: 'utf8'}).trim());
const baselineRate = baselineLines / SECONDS;

// Note: ssh2's native crypto binding must load under the Node that runs this (the postinstall step
// scripts/native-rebuild.mjs sees to it), or every SSH packet is decrypted by a fresh JS Decipheriv: under a flood
// that, not the view, is most of the CPU. The last line says which one this run used.
// 1b. The log view: the app's own services and LogsScreen, rendered by Ink into a test stdout.
const dir = mkdtempSync(join(tmpdir(), 'jutsu-bench-logs-'));
const profile = JSON.parse(execFileSync('cat', [join(LAB, 'profile.json')], {encoding: 'utf8'}));
profile.logs = {bufferLines: 5000};
writeFileSync(join(dir, 'profile.json'), JSON.stringify(profile));
const session = createSession({configFile: join(dir, 'profile.json'), auditFile: join(dir, 'audit.jsonl')});
await session.transport.connect();
const {bindingAvailable} = createRequire(join(ROOT, 'package.json'))('ssh2/lib/protocol/crypto.js');
const decipher = session.transport.client?._protocol?._decipher?.constructor?.name;
const base = servicesFor(session);
let delivered = 0;
const services = {...base, streamLogs: (name, options, onLine, signal) => base.streamLogs(name, {...options, tail: 0}, (line, stderr) => {
	delivered++;
	onLine(line, stderr);
}, signal)};

async function keyLatency(view, rounds) {
	const samples = [];
	for (let i = 0; i < rounds; i++) {
		const want = i % 2 === 0 ? 'wrap on' : 'wrap off';
		const started = performance.now();
		view.stdin.write('w');
		while (!(view.lastFrame() ?? '').includes(want)) await sleep(1);
		samples.push(performance.now() - started);
	}
	samples.sort((a, b) => a - b);
	return {median: samples[Math.floor(samples.length / 2)], p95: samples[Math.floor(samples.length * 0.95)]};
}

// Idle latency first: the same screen on a container that is quiet (production's heartbeat every 2 s).
// ink-testing-library's stdout has columns but no rows; Ink then runs `tput` (two processes) on every frame to
// ask for the size, which a real terminal never makes it do. Give the test stdout the 30 rows the screen has.
const sized = view => {
	Object.defineProperty(view.stdout, 'rows', {value: 30, configurable: true});
	return view;
};
const idleView = sized(render(createElement(LogsScreen, {services, active: true, width: 120, height: 30, onFocus() {}, onTyping() {}, focus: {environment: 'production', name: profile.environments.production.container}})));
await sleep(1000);
const idle = await keyLatency(idleView, 20);
idleView.unmount();

const rssBefore = process.memoryUsage().rss;
delivered = 0;
const view = sized(render(createElement(LogsScreen, {services, active: true, width: 120, height: 30, onFocus() {}, onTyping() {}, focus: {environment: undefined, name: NAME}})));
const t0 = performance.now();
await sleep(SECONDS * 1000);
const viewRate = delivered / ((performance.now() - t0) / 1000);
const streaming = await keyLatency(view, 20);

// 2. Memory after a million lines.
const t1 = performance.now();
while (delivered < 1_000_000 && performance.now() - t1 < 300_000) await sleep(200);
// Collect garbage first, so the figure is what stays, not what the flood churned through.
v8.setFlagsFromString('--expose-gc');
runInNewContext('gc')();
runInNewContext('gc')();
const {rss: rssAfter, heapUsed} = process.memoryUsage();
const frame = view.lastFrame() ?? '';
const stats = /(\d+)\/(\d+) lines · dropped (\d+)/u.exec(frame);
view.unmount();
await session.close();
cleanup();

const mb = n => (n / 1024 / 1024).toFixed(1);
console.log(`ssh docker logs -f > /dev/null: ${Math.round(baselineRate).toLocaleString('en-US')} lines/s (baseline)`);
console.log(`log view (ring buffer + 80 ms redraw): ${Math.round(viewRate).toLocaleString('en-US')} lines/s`);
console.log(`ratio log view / baseline: ${(viewRate / baselineRate).toFixed(2)}`);
console.log(`after ${delivered.toLocaleString('en-US')} lines: rss ${mb(rssAfter)} MB (before streaming ${mb(rssBefore)} MB, +${mb(rssAfter - rssBefore)} MB), heap used ${mb(heapUsed)} MB; buffer ${stats?.[1]}/${stats?.[2]} lines, dropped ${stats?.[3]}`);
console.log(`key-to-frame: idle median ${idle.median.toFixed(1)} ms p95 ${idle.p95.toFixed(1)} ms; streaming median ${streaming.median.toFixed(1)} ms p95 ${streaming.p95.toFixed(1)} ms; ratio streaming/idle ${(streaming.median / idle.median).toFixed(2)}`);
console.log(`ssh2 crypto under Node ${process.version}: ${bindingAvailable ? 'native binding (sshcrypto.node)' : 'JS fallback (node:crypto)'}${decipher ? `, decipher ${decipher}` : ''}`);
process.exit(0);
