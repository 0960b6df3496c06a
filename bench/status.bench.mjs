#!/usr/bin/env node
// Goal: from process start to containers listed (`jutsu-ops status --json`), against the raw OpenSSH
// `ssh host docker ps` measured in the same run on the same lab. Prints medians and the ratio.
import {spawnSync} from 'node:child_process';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const lab = process.env.JUTSU_LAB_DIR ?? '/tmp/jutsu-lab';
const runs = Number(process.env.BENCH_RUNS ?? 9);

function time(command, args) {
	const started = process.hrtime.bigint();
	const result = spawnSync(command, args, {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, JUTSU_OPS_AUDIT_FILE: '/dev/null'}});
	const ms = Number(process.hrtime.bigint() - started) / 1e6;
	if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
	return ms;
}

const median = values => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const baseline = [];
const tool = [];
// Interleave so that machine noise hits both equally.
for (let i = 0; i < runs; i++) {
	baseline.push(time('ssh', ['-F', join(lab, 'ssh', 'config'), 'tower-lab', 'docker', 'ps']));
	tool.push(time(process.execPath, [join(here, '..', 'dist', 'cli.js'), 'status', '--json', '--config', join(lab, 'profile.json')]));
}
const b = median(baseline);
const t = median(tool);
console.log(`baseline  ssh tower-lab docker ps        median ${b.toFixed(0)} ms over ${runs} runs`);
console.log(`jutsu-ops status --json (process start) median ${t.toFixed(0)} ms over ${runs} runs`);
console.log(`ratio status/baseline: ${(t / b).toFixed(2)}x`);
