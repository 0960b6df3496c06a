#!/usr/bin/env node
// Goal: the safe sync script against the seed's script on >= 1 million market_data rows, interleaved in the same
// run on the same lab (ratio of median durations), and how long `jutsu-ops sync verify` takes on those rows.
// Holds the e2e lab lock; puts the lab back (test/lab/up.sh reseeds the databases) when done.
import {spawnSync} from 'node:child_process';
import {writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const lab = process.env.JUTSU_LAB_DIR ?? '/tmp/jutsu-lab';
if (!process.env.JUTSU_BENCH_LOCKED) {
	const r = spawnSync('flock', ['/tmp/jutsu-e2e.lock', process.execPath, fileURLToPath(import.meta.url)], {stdio: 'inherit', env: {...process.env, JUTSU_BENCH_LOCKED: '1'}});
	process.exit(r.status ?? 1);
}
const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const profilePath = join(lab, 'profile.json');
const seed = '/mnt/user/appdata/jutsu/scripts/sync_staging.sh';
const safe = '/mnt/user/appdata/jutsu/scripts/bench_safe_sync.sh';

const sh = (command, quiet = true) => {
	const r = spawnSync('bash', ['-c', command], {cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', quiet ? 'pipe' : 'inherit']});
	if (r.status !== 0) throw new Error(`${command.slice(0, 120)}: exit ${r.status} ${r.stderr ?? ''}`);
	return r.stdout;
};
const psql = (db, sql) => sh(`docker exec -i jutsu-postgres psql -X -At -U postgres -d ${db} -c "${sql}"`).trim();
const timed = command => {
	const started = process.hrtime.bigint();
	const r = spawnSync('bash', ['-c', command], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
	const ms = Number(process.hrtime.bigint() - started) / 1e6;
	return {ms, code: r.status, err: r.stderr};
};
const median = values => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

try {
	const have = Number(psql('jutsu_labs', 'SELECT count(*) FROM market_data'));
	if (have < rows) {
		psql('jutsu_labs', `INSERT INTO market_data (symbol, ts, open, high, low, close, volume) SELECT 'B' || (g % 100), timestamp '1980-01-01' + g * interval '1 minute', 1, 2, 0.5, 1.5, g FROM generate_series(1, ${rows - have}) g`);
	}
	const total = Number(psql('jutsu_labs', 'SELECT count(*) FROM market_data'));
	sh('bash test/lab/hosttools.sh add-pg-client');
	const {renderSafeScript, safeScriptOptions} = await import(join(root, 'dist', 'core', 'sync', 'safe-script.js'));
	const {profileSchema} = await import(join(root, 'dist', 'core', 'config', 'schema.js'));
	const {readFileSync} = await import('node:fs');
	const profile = profileSchema.parse(JSON.parse(readFileSync(profilePath, 'utf8')));
	writeFileSync('/tmp/jutsu-bench-safe.sh', renderSafeScript(safeScriptOptions(profile)));
	sh(`install -m 755 /tmp/jutsu-bench-safe.sh ${safe}`);
	const ssh = script => `ssh -F ${join(lab, 'ssh', 'config')} tower-lab ${script}`;
	const seedTimes = [];
	const safeTimes = [];
	for (let i = 0; i < runs; i++) {
		const a = timed(ssh(seed));
		if (a.code !== 0) throw new Error(`the seed's script failed: ${a.err}`);
		seedTimes.push(a.ms);
		const b = timed(ssh(safe));
		if (b.code !== 0) throw new Error(`the safe script failed: ${b.err}`);
		safeTimes.push(b.ms);
	}
	const verifyTimes = [];
	for (let i = 0; i < runs; i++) {
		const v = timed(`${process.execPath} ${join(root, 'dist', 'cli.js')} sync verify --json --config ${profilePath}`);
		if (v.code !== 0) throw new Error(`verify failed (${v.code}): ${v.err}`);
		verifyTimes.push(v.ms);
	}
	const s = median(seedTimes);
	const f = median(safeTimes);
	console.log(`market_data rows: ${total} (+ performance_snapshots), ${runs} interleaved runs each`);
	console.log(`seed's script (psql | TRUNCATE CASCADE, pg_dump | psql)  median ${(s / 1000).toFixed(2)} s`);
	console.log(`safe script (one transaction per table, FK-aware merge)   median ${(f / 1000).toFixed(2)} s`);
	console.log(`ratio safe/seed: ${(f / s).toFixed(2)}x`);
	console.log(`jutsu-ops sync verify --json (process start, both DBs)   median ${(median(verifyTimes) / 1000).toFixed(2)} s (${(median(verifyTimes) / s).toFixed(2)}x the seed's sync)`);
} finally {
	spawnSync('bash', ['-c', `rm -f ${safe} /tmp/jutsu-bench-safe.sh; bash test/lab/up.sh >/dev/null`], {stdio: 'inherit', cwd: root});
}
