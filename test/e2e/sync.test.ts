import {join} from 'node:path';
import {execa, type ResultPromise} from 'execa';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {CLI, cli, expectNoSecrets, LAB_DIR, labProfilePath, onHost, tempProfile} from '../support/lab.js';

/**
 * The sync against the lab: the seed's script (with psql added) and the safe script, live streaming, the lock,
 * Ctrl-C, a dropped SSH connection, PostgreSQL killed, crashed or stopped mid-run, verify. The lab is put back in afterAll.
 */
const SCRIPT = '/mnt/user/appdata/jutsu/scripts/sync_staging.sh';
const GATED = '/mnt/user/appdata/jutsu/scripts/gated_sync.sh';
const LOG = '/mnt/user/appdata/jutsu/logs/staging_sync.log';
const STATE = '/mnt/user/appdata/jutsu/.jutsu-ops';
const GATE = '/tmp/jutsu-sync-e2e.gate';
const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
const outputs: string[] = [];

const psql = (db: string, sql: string) => onHost(`docker exec -i jutsu-postgres psql -X -At -U postgres -d ${db} -c ${q(sql)}`).trim();
const sum = (db: string, table: string) => psql(db, `SELECT count(*) || ':' || coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint), 0) FROM ${table} t`);
const lockFree = () => onHost(`flock -n ${STATE}/sync.lock true && echo free || echo held`).trim() === 'free';
/** PostgreSQL running and ready again: started if it stays down (docker kill/stop), awaited if Docker restarts it. */
const pgUp = () => onHost(`for i in $(seq 1 600); do
  case "$(docker inspect -f '{{.State.Status}}' jutsu-postgres)" in
    running) docker exec jutsu-postgres pg_isready -q -U postgres -h /var/run/postgresql 2>/dev/null && exit 0;;
    exited|created) docker start jutsu-postgres >/dev/null;;
  esac
  sleep 0.1
done; echo 'jutsu-postgres did not come back' >&2; exit 1`);

/** The CLI as a child process whose output is watched while it runs. */
function spawnCli(args: string[]) {
	const child = execa(process.execPath, [CLI, ...args], {
		reject: false, all: true, stdin: 'ignore', timeout: 240_000,
		env: {NO_COLOR: '1', JUTSU_OPS_AUDIT_FILE: join(LAB_DIR, 'e2e-audit.jsonl'), JUTSU_OPS_STORE_DIR: join(LAB_DIR, 'e2e-store')},
	}) as ResultPromise<{all: true}>;
	let text = '';
	child.all?.on('data', (chunk: Buffer) => {
		text += chunk.toString('utf8');
	});
	const waitFor = async (pattern: RegExp, ms = 60_000) => {
		const until = Date.now() + ms;
		while (!pattern.test(text)) {
			if (Date.now() > until) throw new Error(`timed out waiting for ${pattern} in:\n${text}`);
			await new Promise(r => setTimeout(r, 50));
		}
	};
	return {child, waitFor, text: () => text};
}

/** A script that logs like the seed's, then waits for a gate file: runs whose timing the test controls. */
const GATED_BODY = `#!/bin/bash
LOG_FILE=${LOG}
ts() { TZ=America/New_York date '+%Y-%m-%d %H:%M:%S'; }
echo "$(ts) - Starting staging sync" >> "$LOG_FILE"
echo "$(ts) - Syncing table: market_data" >> "$LOG_FILE"
i=0; while [ ! -e ${GATE} ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
echo "$(ts) - market_data: 1 rows synced" >> "$LOG_FILE"
echo "$(ts) - Staging sync complete" >> "$LOG_FILE"
`;

let gatedProfile: string;

beforeAll(() => {
	onHost('bash test/lab/up.sh >/dev/null');
	onHost(`rm -rf ${STATE} ${GATE}; printf '%s' ${q(GATED_BODY)} > ${GATED}; chmod 755 ${GATED}`);
	gatedProfile = tempProfile(p => {
		p.sync.script = GATED;
	});
});

afterAll(() => {
	pgUp();
	onHost(`crontab -l 2>/dev/null | sed '/^# jutsu-ops sync schedule BEGIN/,/^# jutsu-ops sync schedule END/d' | crontab -`);
	// a run this file started and that is somehow still going: end its process group (by the pid it recorded)
	onHost(`for f in ${STATE}/runs/*.pid; do [ -f "$f" ] || continue; set -- $(cat "$f"); kill -KILL -- "-$1" 2>/dev/null; done; true`);
	onHost(`rm -rf ${STATE} ${GATE} ${GATED} ${SCRIPT}.bak-*`);
	onHost('bash test/lab/up.sh >/dev/null');
	for (const text of outputs) expectNoSecrets(text);
});

describe('sync against the lab', () => {
	it('the preflight names backtest_annotations; the seed\'s script (psql added) empties it; verify and History show the run', async () => {
		onHost('bash test/lab/hosttools.sh add-pg-client >/dev/null');
		const pre = await cli(['sync', 'preflight', '--json']);
		outputs.push(pre.stdout, pre.stderr);
		expect(pre.exitCode).toBe(0);
		const cascade = JSON.parse(pre.stdout).checks.find((c: {id: string}) => c.id === 'cascade');
		expect(cascade).toMatchObject({status: 'warn'});
		expect(cascade.detail).toContain('backtest_annotations (4 rows)');
		expect(psql('jutsu_labs_staging', 'SELECT count(*) FROM backtest_annotations')).toBe('4');

		const run = await cli(['sync', 'run', '--json']);
		outputs.push(run.stdout, run.stderr);
		const report = JSON.parse(run.stdout);
		expect(report.exitCode).toBe(0);
		expect(report.verify.synced.every((s: {equal: boolean}) => s.equal)).toBe(true);
		// the seed's TRUNCATE ... CASCADE emptied a table it was never meant to touch: verify says so, exit 1
		expect(report.verify.unchanged.find((u: {table: string}) => u.table === 'backtest_annotations')).toMatchObject({equal: false, before: {rows: 4}, after: {rows: 0}});
		expect(run.exitCode).toBe(1);
		expect(psql('jutsu_labs_staging', 'SELECT count(*) FROM backtest_annotations')).toBe('0');

		const history = await cli(['sync', 'history', '--json']);
		const [latest] = JSON.parse(history.stdout);
		expect(latest.status).toBe('success');
		expect(Date.now() - latest.startedAt).toBeLessThan(10 * 60_000);
		expect(latest.tables).toEqual([{table: 'market_data', rows: 20000}, {table: 'performance_snapshots', rows: 90}]);
	});

	it('install-safe-script previews a masked diff, then installs with a backup; the safe script keeps backtest_annotations and verify shows every other table unchanged', async () => {
		onHost('bash test/lab/up.sh >/dev/null'); // staging back to as built (annotations 4), seed script back, no psql
		const before = onHost(`sha256sum ${SCRIPT}`);
		const preview = await cli(['sync', 'install-safe-script']);
		outputs.push(preview.stdout, preview.stderr);
		expect(preview.exitCode).toBe(0);
		expect(preview.stdout).toMatch(/- export PGPASSWORD="?••••••/u);
		expect(preview.stdout).toContain('+ # jutsu-ops safe sync script');
		expect(preview.stdout).toContain('Nothing was written');
		expect(onHost(`sha256sum ${SCRIPT}`)).toBe(before);

		const install = await cli(['sync', 'install-safe-script', '--yes', '--schedule', '--json']);
		outputs.push(install.stdout, install.stderr);
		expect(install.exitCode).toBe(0);
		const installed = JSON.parse(install.stdout);
		expect(installed.backup).toMatch(/sync_staging\.sh\.bak-/u);
		expect(onHost(`head -n 2 ${SCRIPT}`)).toContain('# jutsu-ops safe sync script');
		expect(onHost(`sha256sum < ${q(installed.backup)}`).split(' ')[0]).toBe(before.split(' ')[0]);
		expect(onHost(`stat -c %a ${q(installed.backup)}`).trim()).toBe('600');
		const schedule = JSON.parse((await cli(['sync', 'schedule', '--json'])).stdout);
		expect(schedule).toMatchObject({source: 'crontab', expression: '0 2 * * *', cronTimeZone: 'America/New_York', twoAm: {ok: true}});
		expect(onHost('crontab -l').match(/^0 2 \* \* \* \/mnt\/user\/appdata\/jutsu\/scripts\/sync_staging\.sh$/gmu)).toHaveLength(1);

		const run = await cli(['sync', 'run', '--json']);
		outputs.push(run.stdout, run.stderr);
		expect(run.exitCode).toBe(0);
		const report = JSON.parse(run.stdout);
		expect(report.ok).toBe(true);
		expect(report.tables).toEqual([{table: 'market_data', state: 'done', rows: 20000}, {table: 'performance_snapshots', state: 'done', rows: 90}]);
		expect(report.verify.unchanged.map((u: {table: string}) => u.table)).toEqual(['backtest_annotations', 'config_overrides', 'live_trades', 'positions', 'system_state']);
		expect(report.verify.unchanged.every((u: {equal: boolean}) => u.equal)).toBe(true);
		expect(psql('jutsu_labs_staging', 'SELECT count(*) FROM backtest_annotations')).toBe('4');
		expect(sum('jutsu_labs_staging', 'market_data')).toBe(sum('jutsu_labs', 'market_data'));
		expect(lockFree()).toBe(true);
		// later, verify alone compares the other tables with the snapshot taken before that run
		const verify = await cli(['sync', 'verify', '--json']);
		expect(verify.exitCode).toBe(0);
		const v = JSON.parse(verify.stdout);
		expect(v.snapshotOfRun).toBe(report.runId);
		expect(v.unchanged).toHaveLength(5);
		expect(v.synced.every((x: {equal: boolean}) => x.equal)).toBe(true);
	});

	it('streams a run\'s lines as they are written; a second start is refused naming the holder; after the SSH connection is cut the run finishes on the host and the tool shows its end', async () => {
		onHost(`rm -f ${GATE}`);
		const a = spawnCli(['sync', 'run', '--no-preflight', '--config', gatedProfile]);
		// the run is waiting at its gate: these lines can only have come from streaming
		await a.waitFor(/Syncing table: market_data/u);
		expect(a.text()).not.toMatch(/Staging sync complete/u);

		const b = await cli(['sync', 'run', '--no-preflight'], {config: gatedProfile});
		outputs.push(b.stdout, b.stderr);
		expect(b.exitCode).toBe(1);
		expect(b.stderr).toMatch(/A sync is already running: the lock is held by \S+ \(jutsu-ops\) \(run \S+, pid \d+\) since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/u);

		// cut every SSH session (the listener and its children), then bring sshd back
		onHost(`P=$(cat ${LAB_DIR}/sshd.pid); for c in $(pgrep -P "$P"); do kill -9 "$c"; done; kill "$P"`);
		await a.waitFor(/\[reconnecting\]/u, 30_000);
		onHost('bash test/lab/up.sh --keep-state >/dev/null');
		onHost(`touch ${GATE}`);
		const result = await a.child;
		outputs.push(a.text());
		expect(a.text()).toMatch(/Sync finished: exit 0/u);
		expect(a.text()).toMatch(/market_data: 1 rows synced[\s\S]*Staging sync complete/u);
		expect(a.text().match(/Syncing table: market_data/gu)).toHaveLength(1);
		expect(result.exitCode).toBe(0);
		expect(lockFree()).toBe(true);
	});

	it('Ctrl-C during a run stops the remote process and releases the lock', async () => {
		onHost(`rm -f ${GATE}`);
		const a = spawnCli(['sync', 'run', '--no-preflight', '--config', gatedProfile]);
		await a.waitFor(/Syncing table: market_data/u);
		expect(lockFree()).toBe(false);
		a.child.kill('SIGINT');
		const result = await a.child;
		outputs.push(a.text());
		expect(result.exitCode).toBe(130);
		expect(lockFree()).toBe(true);
		expect(onHost(`pgrep -f '^/bin/bash ${GATED}' || true`).trim()).toBe('');
		expect(onHost(`cat $(ls -1t ${STATE}/runs/*.exit | head -n 1)`).trim()).toMatch(/ 1$/u);
		expect(onHost(`tail -n 1 ${LOG}`)).not.toMatch(/complete/u);
	});

	/**
	 * PostgreSQL goes away in the middle of a safe-script run's COPY. With `docker kill` or a crash (the main
	 * process killed: the restart policy brings the container back), dockerd 20.10 can deadlock on the run's
	 * docker exec clients and keep reporting the container running, same StartedAt, until they end: the run used
	 * to hang there forever, holding the lock. Each way must end the run as failed, naming what happened.
	 */
	const ways = [
		{way: 'docker kill', down: 'docker kill jutsu-postgres >/dev/null', reason: /PostgreSQL \(container jutsu-postgres\) (stopped|restarted) during the run/u},
		{way: 'a crash (main process killed; the restart policy restarts it)', down: `kill -KILL "$(docker inspect -f '{{.State.Pid}}' jutsu-postgres)"`, reason: /PostgreSQL \(container jutsu-postgres\) restarted during the run \(restart count \d+ -> \d+\)/u},
		{way: 'docker stop -t 1', down: 'docker stop -t 1 jutsu-postgres >/dev/null', reason: /PostgreSQL \(container jutsu-postgres\) stopped during the run/u},
	];
	it.each(ways)('PostgreSQL down mid-COPY by $way: the run ends failed naming it, staging keeps its rows, the lock is released, no docker exec is left', async ({down, reason}) => {
		const install = await cli(['sync', 'install-safe-script', '--yes']);
		expect(install.exitCode).toBe(0);
		if (psql('jutsu_labs', "SELECT count(*) FROM market_data WHERE symbol LIKE 'E2E%'") === '0') {
			psql('jutsu_labs', "INSERT INTO market_data (symbol, ts, open, high, low, close, volume) SELECT 'E2E' || (g % 40), timestamp '1990-01-01' + g * interval '1 minute', 1, 2, 0.5, 1.5, g FROM generate_series(1, 400000) g");
		}
		const before = sum('jutsu_labs_staging', 'market_data');
		const a = spawnCli(['sync', 'run', '--json', '--no-preflight', '--config', labProfilePath()]);
		// wait until the staging session is inside the refresh transaction, then take the server down
		const until = Date.now() + 60_000;
		for (;;) {
			const state = psql('jutsu_labs_staging', "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'jutsu-sync' AND datname = 'jutsu_labs_staging' AND state IN ('active', 'idle in transaction') AND xact_start IS NOT NULL AND query ILIKE 'COPY%'");
			if (state !== '0') break;
			if (Date.now() > until) throw new Error(`the refresh never started:\n${a.text()}`);
			await new Promise(r => setTimeout(r, 20));
		}
		onHost(down);
		const result = await a.child;
		outputs.push(a.text());
		expect(result.exitCode).toBe(1);
		const report = JSON.parse(a.text().slice(a.text().indexOf('{')));
		expect(report.ok).toBe(false);
		expect(report.exitCode).not.toBe(0);
		expect(report.error).toMatch(/^market_data: /u);
		expect(report.error).toMatch(reason);
		const last = onHost(`tail -n 1 ${LOG}`);
		expect(last).toMatch(/Staging sync FAILED: market_data: PostgreSQL \(container jutsu-postgres\)/u);
		expect(last).toMatch(reason);
		expect(lockFree()).toBe(true);
		expect(onHost("pgrep -f '^docker exec -i -e PGPASSWORD' || true").trim()).toBe('');
		pgUp();
		expect(sum('jutsu_labs_staging', 'market_data')).toBe(before);
		expect(psql('jutsu_labs_staging', 'SELECT count(*) FROM backtest_annotations')).toBe('4');
	}, 180_000);

	it('attach follows the sync log live', async () => {
		const a = spawnCli(['sync', 'attach', '--config', labProfilePath()]);
		await new Promise(r => setTimeout(r, 1500));
		onHost(`echo "$(TZ=America/New_York date '+%Y-%m-%d %H:%M:%S') - Starting staging sync (attach probe)" >> ${LOG}`);
		await a.waitFor(/attach probe/u, 20_000);
		a.child.kill('SIGINT');
		await a.child;
		outputs.push(a.text());
	});
});
