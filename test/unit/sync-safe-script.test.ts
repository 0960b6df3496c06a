import {execFileSync} from 'node:child_process';
import {describe, expect, it} from 'vitest';
import {profileSchema, SEED_PROFILE} from '../../source/core/config/schema.js';
import {commandsIn} from '../../source/core/sync/preflight.js';
import {lineDiff, maskScript, renderSafeScript, SAFE_SCRIPT_MARKER, safeScriptOptions} from '../../source/core/sync/safe-script.js';
import {planSchedule, rewriteCrontab, runsAtTargetTime} from '../../source/core/sync/schedule.js';
import {toHistory} from '../../source/core/sync/history.js';
import {parseSyncLog} from '../../source/core/sync/log.js';
import {zonedToEpoch} from '../../source/core/time.js';

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
