import {execFileSync, spawn} from 'node:child_process';
import {mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {profileSchema, SEED_PROFILE} from '../../source/core/config/schema.js';
import {commandsIn} from '../../source/core/sync/preflight.js';
import {lineDiff, maskScript, renderSafeScript, SAFE_SCRIPT_MARKER, safeScriptOptions} from '../../source/core/sync/safe-script.js';
import {planSchedule, rewriteCrontab, runsAtTargetTime} from '../../source/core/sync/schedule.js';
import {toHistory} from '../../source/core/sync/history.js';
import {parseSyncLog} from '../../source/core/sync/log.js';
import {zonedToEpoch} from '../../source/core/time.js';
import {shellQuote} from '../../source/core/quote.js';

const profile = profileSchema.parse({...SEED_PROFILE, postgres: {...SEED_PROFILE.postgres, container: 'postgresql17'}});
const SCRIPT = profile.sync.script;

describe('the safe script', () => {
	const text = renderSafeScript(safeScriptOptions(profile));
	it('is valid bash, carries the marker, never CASCADEs and holds no password', () => {
		execFileSync('bash', ['-n', '-c', text]);
		expect(text).toContain(SAFE_SCRIPT_MARKER);
		expect(text).not.toMatch(/^[^#\n]*CASCADE/mu);
		expect(text).not.toMatch(/PGPASSWORD=['"][^$'"]/u);
		expect(text).toMatch(/docker exec -i -e PGPASSWORD/u);
		expect(text).toContain('set -o pipefail');
		expect(text).toContain("default_transaction_read_only=on");
		expect(text).toContain('Staging sync FAILED');
	});
	it('refuses a staging database equal to production and odd identifiers', () => {
		expect(() => renderSafeScript({...safeScriptOptions(profile), stagingDb: 'jutsu_labs'})).toThrow(/production/u);
		expect(() => renderSafeScript({...safeScriptOptions(profile), tables: ['x; drop table y']})).toThrow(/identifier/u);
	});
	it('a preview masks the seed script\'s password and shows what changes', () => {
		const seed = 'PG_USER="jutsu"\nexport PGPASSWORD="hunter2-very-secret"\npsql -c "TRUNCATE TABLE $TABLE CASCADE;"';
		const masked = maskScript(seed);
		expect(masked).not.toContain('hunter2-very-secret');
		expect(masked).toMatch(/export PGPASSWORD="?••••••/u);
		expect(lineDiff('a\nb\nc', 'a\nc\nd')).toEqual(['  a', '- b', '  c', '+ d']);
	});
	it('finds the commands a script calls (outside comments)', () => {
		expect(commandsIn('# uses docker\npsql -h x | gzip\nCOUNT=$(psql -t)\npg_dump -t T db | psql db')).toEqual(['psql', 'pg_dump', 'gzip']);
	});
});

describe('installing the schedule', () => {
	const jan = zonedToEpoch('2026-01-05 12:00:00', 'UTC')!;
	it('a host in New York gets one plain 2 AM line', () => {
		expect(planSchedule(SCRIPT, 'America/New_York', 'America/New_York', jan)).toMatchObject({dstGuard: false, lines: [{expression: '0 2 * * *', command: SCRIPT}]});
	});
	it('a UTC host gets both hours 2 AM New York can fall on, with a guard, and so runs at 2 AM all year', () => {
		const plan = planSchedule(SCRIPT, 'UTC', 'America/New_York', jan);
		expect(plan.dstGuard).toBe(true);
		expect(plan.lines).toEqual([{expression: '0 6,7 * * *', command: `[ "$(TZ=America/New_York date +\\%H)" = 02 ] && ${SCRIPT}`}]);
		// the guard leaves exactly one of the two firings each day, the one at 02:00 New York
		const check = runsAtTargetTime('0 6 * * *', 'UTC', 'America/New_York', jan);
		expect(check.ok).toBe(false);
	});
	it('rewrites a crontab: old lines for the script disabled, foreign lines kept, the managed block replaced', () => {
		const plan = planSchedule(SCRIPT, 'America/New_York', 'America/New_York', jan);
		const first = rewriteCrontab(`MAILTO=""\n5 4 * * * /usr/bin/backup\n0 2 * * * ${SCRIPT}\n`, SCRIPT, plan);
		expect(first).toContain('5 4 * * * /usr/bin/backup');
		expect(first).toContain(`# disabled by jutsu-ops (replaced below): 0 2 * * * ${SCRIPT}`);
		expect(first.match(new RegExp(`^0 2 \\* \\* \\* ${SCRIPT}$`, 'gmu'))).toHaveLength(1);
		expect(rewriteCrontab(first, SCRIPT, plan)).toBe(first);
	});
});

describe('history', () => {
	it('newest first, with duration, rows and the failure reason', () => {
		const log = ['2026-12-03 02:00:01 - Starting staging sync', '2026-12-03 02:00:01 - Syncing table: market_data',
			'psql: error: connection refused', '2026-12-04 02:00:01 - Starting staging sync', '2026-12-04 02:00:01 - Syncing table: market_data',
			'2026-12-04 02:00:03 - market_data: 20000 rows synced', '2026-12-04 02:00:05 - Staging sync complete',
			'2026-12-04 10:00:00 - Starting staging sync', '2026-12-04 10:00:00 - Syncing table: market_data', '2026-12-04 10:00:01 - Staging sync FAILED: market_data: ERROR: boom'].join('\n');
		const h = toHistory(parseSyncLog(log, 'America/New_York'));
		expect(h.map(e => e.status)).toEqual(['failed', 'success', 'failed']);
		expect(h[0]!.error).toBe('market_data: ERROR: boom');
		expect(h[1]).toMatchObject({durationMs: 4000, rows: 20000});
		expect(h[2]!.error).toMatch(/connection refused/u);
	});
});

/**
 * The watchdog against a fake `docker` (no lab): its `exec` hangs like a client whose container died under it, and
 * its `inspect` fills the format from what the test writes (status, StartedAt, RestartCount, pid), as dockerd 20.10 keeps reporting a dead container running (same
 * StartedAt, same pid) while its exit event waits behind a blocked exec's. The run must end, failed, naming it.
 */
describe('the safe script\'s watchdog (fake docker)', () => {
	const TOOLS = ['bash', 'date', 'mkdir', 'dirname', 'flock', 'id', 'hostname', 'sed', 'head', 'timeout', 'awk', 'ps', 'xargs', 'kill', 'sleep', 'grep', 'cat', 'perl', 'tr', 'paste', 'tail', 'rm'];

	function fakeHost() {
		const dir = mkdtempSync(join(tmpdir(), 'jutsu-watchdog-'));
		const bin = join(dir, 'bin');
		mkdirSync(bin);
		for (const tool of TOOLS) symlinkSync(execFileSync('bash', ['-c', `type -P ${tool}`], {encoding: 'utf8'}).trim(), join(bin, tool));
		// a unique container name: the hung clients are found (and cleaned up) by it
		const container = `pgwatch${process.pid}x${Math.random().toString(36).slice(2, 8)}`;
		writeFileSync(join(bin, 'docker'), `#!/bin/bash
case "$1" in
  inspect)
    fmt=; while [ $# -gt 0 ]; do [ "$1" = --format ] && { fmt=$2; shift; }; shift; done
    case "$fmt" in *range*) exit 0;; esac
    read -r st started restarts pid < ${shellQuote(join(dir, 'state'))}
    running=false; [ "$st" = running ] && running=true
    fmt=\${fmt//'{{.State.Status}}'/$st}; fmt=\${fmt//'{{.State.Running}}'/$running}; fmt=\${fmt//'{{.State.StartedAt}}'/$started}
    fmt=\${fmt//'{{.RestartCount}}'/$restarts}; fmt=\${fmt//'{{.State.Pid}}'/$pid}
    echo "$fmt";;
  exec) exec perl -e '$0 = join(" ", "docker", @ARGV); sleep 600' -- "$@";;
esac
`, {mode: 0o755});
		// the container's main process, as the host sees it
		const main = spawn('sleep', ['600'], {stdio: 'ignore'});
		const setState = (state: string) => writeFileSync(join(dir, 'state'), `${state}\n`);
		setState(`running 2026-12-04T07:00:00.000000000Z 0 ${main.pid}`);
		const script = join(dir, 'sync.sh');
		writeFileSync(script, renderSafeScript({
			prodDb: 'jutsu_labs', stagingDb: 'jutsu_labs_staging', pgHost: 'localhost', pgPort: 5432, pgUser: 'jutsu', pgContainer: container,
			passwordContainers: [], tables: ['market_data'], log: join(dir, 'sync.log'), lock: join(dir, 'sync.lock'), timeZone: 'UTC',
		}), {mode: 0o755});
		const clients = () => execFileSync('ps', ['-eo', 'pid=,args='], {encoding: 'utf8'}).split('\n').filter(l => l.includes(`docker exec`) && l.includes(container)).map(l => Number(l.trim().split(/\s+/u)[0]));
		const child = execa('bash', [script], {env: {PATH: bin, HOME: dir, PGPASSWORD: 'not-a-secret'}, extendEnv: false, reject: false, stdin: 'ignore', detached: true});
		// the run's end, or undefined when it hangs (the old watchdog left it waiting forever)
		const run = Promise.race([child, new Promise<undefined>(resolve => setTimeout(resolve, 30_000, undefined))]);
		const hung = async () => {
			for (let i = 0; i < 200 && clients().length === 0; i++) await new Promise(r => setTimeout(r, 50));
			expect(clients().length).toBeGreaterThan(0);
		};
		const cleanup = () => {
			for (const pid of clients()) process.kill(pid, 'SIGKILL');
			main.kill('SIGKILL');
			try {
				process.kill(-child.pid!, 'SIGKILL'); // the script's process group: its watchdog too
			} catch {
				// already gone
			}
		};
		return {run, hung, clients, setState, main, cleanup, container, log: join(dir, 'sync.log')};
	}

	it('the main process of the PostgreSQL container ends while Docker still reports it running: the hung clients are ended and the run fails naming it', async () => {
		const host = fakeHost();
		try {
			await host.hung();
			host.main.kill('SIGKILL');
			const result = await host.run;
			if (!result) throw new Error('the run hung: its docker exec clients were never ended');
			expect(result.exitCode).toBe(1);
			expect(result.stderr.trim()).toBe(`Staging sync FAILED: market_data: cannot read production (PostgreSQL (container ${host.container}) went down during the run: its main process ended (crash or kill))`);
			expect(readFileSync(host.log, 'utf8').trim().split('\n').at(-1)).toMatch(/ - Staging sync FAILED: market_data: cannot read production \(PostgreSQL .* went down/u);
			expect(host.clients()).toEqual([]);
		} finally {
			host.cleanup();
		}
	}, 60_000);

	it('Docker reports the container restarted: the hung clients are ended and the run fails naming the restart', async () => {
		const host = fakeHost();
		try {
			await host.hung();
			host.setState('running 2026-12-04T07:00:09.000000000Z 1 4242424');
			const result = await host.run;
			if (!result) throw new Error('the run hung: its docker exec clients were never ended');
			expect(result.exitCode).toBe(1);
			expect(result.stderr.trim()).toBe(`Staging sync FAILED: market_data: cannot read production (PostgreSQL (container ${host.container}) restarted during the run (restart count 0 -> 1))`);
			expect(host.clients()).toEqual([]);
		} finally {
			host.cleanup();
		}
	}, 60_000);
});
