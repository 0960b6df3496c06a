import {execFileSync} from 'node:child_process';
import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {profileSchema, SEED_PROFILE} from '../../source/core/config/schema.js';
import {nextRunAt, nextRuns, parseCron} from '../../source/core/sync/cron.js';
import {interpretSchedule, parseScheduleOutput, runsAtTargetTime, scheduleMeansTwoAm, scheduleScript} from '../../source/core/sync/schedule.js';
import {zonedToEpoch} from '../../source/core/time.js';

const NY = 'America/New_York';
const at = (text: string, zone = 'UTC') => zonedToEpoch(text, zone)!;
const SCRIPT = '/mnt/user/appdata/jutsu/scripts/sync_staging.sh';
const profile = profileSchema.parse(SEED_PROFILE);

describe('cron expressions', () => {
	it('parses lists, ranges, steps, names and macros', () => {
		const f = parseCron('*/15 1-3,22 * jan-mar mon-fri');
		expect([...f.minutes]).toEqual([0, 15, 30, 45]);
		expect([...f.hours]).toEqual([1, 2, 3, 22]);
		expect([...f.months]).toEqual([1, 2, 3]);
		expect([...f.weekdays]).toEqual([1, 2, 3, 4, 5]);
		expect([...parseCron('0 0 * * 7').weekdays]).toEqual([0]);
		expect([...parseCron('@daily').hours]).toEqual([0]);
		expect(() => parseCron('0 24 * * *')).toThrow(/out of range/u);
		expect(() => parseCron('0 2 * *')).toThrow(/5 fields/u);
	});

	it('finds the next 2 AM in New York across both DST offsets', () => {
		// winter: 2 AM EST = 07:00 UTC
		expect(nextRunAt('0 2 * * *', NY, at('2026-01-10 12:00:00'))).toBe(at('2026-01-11 07:00:00'));
		// summer: 2 AM EDT = 06:00 UTC
		expect(nextRunAt('0 2 * * *', NY, at('2026-07-10 12:00:00'))).toBe(at('2026-07-11 06:00:00'));
		// just before today's run: today
		expect(nextRunAt('0 2 * * *', NY, at('2026-07-10 01:59:00', NY))).toBe(at('2026-07-10 02:00:00', NY));
		// exactly at the run: the next day's
		expect(nextRunAt('0 2 * * *', NY, at('2026-07-10 02:00:00', NY))).toBe(at('2026-07-11 02:00:00', NY));
	});

	it('applies the Vixie day-of-month OR day-of-week rule', () => {
		// 2026-03-01 is a Sunday; "0 0 13 * 5" = the 13th or any Friday
		const runs = nextRuns('0 0 13 * 5', 'UTC', at('2026-03-01 00:00:00'), 3).map(r => new Date(r).toISOString().slice(0, 10));
		expect(runs).toEqual(['2026-03-06', '2026-03-13', '2026-03-20']);
		expect(nextRunAt('0 0 31 2 *', 'UTC', at('2026-01-01 00:00:00'))).toBeUndefined();
		expect(nextRunAt('@reboot', 'UTC', 0)).toBeUndefined();
	});

	it('a daily run in the spring-forward gap still runs that day', () => {
		// 2026-03-08 02:30 does not exist in New York
		const run = nextRunAt('30 2 * * *', NY, at('2026-03-08 00:00:00', NY))!;
		expect(run).toBeGreaterThan(at('2026-03-08 00:00:00', NY));
		expect(run).toBeLessThan(at('2026-03-08 04:00:00', NY));
	});
});

describe('2 AM America/New_York', () => {
	const from = at('2026-01-05 12:00:00');
	it('holds all year for 0 2 * * * read in New York', () => {
		expect(runsAtTargetTime('0 2 * * *', NY, NY, from)).toMatchObject({ok: true, missed: 0});
	});
	it('holds for a host in Chicago only when converted; a fixed UTC line drifts with DST', () => {
		expect(runsAtTargetTime('0 1 * * *', 'America/Chicago', NY, from).ok).toBe(true);
		const utc = runsAtTargetTime('0 7 * * *', 'UTC', NY, from);
		expect(utc.ok).toBe(false);
		expect(utc.dstCaveat).toBe(true);
		expect(utc.example).toBe('03:00');
		expect(runsAtTargetTime('0 2 * * *', 'UTC', NY, from)).toMatchObject({ok: false, dstCaveat: false});
	});
});

const LAB_LIKE = `@@jutsu-ops:unraid
@@jutsu-ops:tz
America/New_York
@@jutsu-ops:crontz
America/New_York
@@jutsu-ops:ident
@@jutsu-ops:etctimezone
Etc/UTC
@@jutsu-ops:localtime
/usr/share/zoneinfo/Etc/UTC
@@jutsu-ops:crontab
# jutsu-lab BEGIN (managed by test/lab/up.sh)
PATH=/tmp/jutsu-lab/hostbin
TZ=America/New_York
0 2 * * * ${SCRIPT}
# jutsu-lab END
@@jutsu-ops:end
`;

describe('reading the schedule', () => {
	it('a crontab on a plain Linux host, evaluated in the cron daemon\'s zone', () => {
		const info = interpretSchedule(parseScheduleOutput(LAB_LIKE), SCRIPT, at('2026-07-10 12:00:00'));
		expect(info).toMatchObject({source: 'crontab', expression: '0 2 * * *', command: SCRIPT, cronTimeZone: NY, isUnraid: false, survivesReboot: true});
		expect(info.nextRun).toBe(at('2026-07-11 02:00:00', NY));
		expect(scheduleMeansTwoAm(info, profile, at('2026-07-10 12:00:00')).ok).toBe(true);
	});

	it('on Unraid prefers the User Scripts schedule and flags a crontab line as lost at reboot', () => {
		const userScript = '/boot/config/plugins/user.scripts/scripts/jutsu_sync/script';
		const out = `@@jutsu-ops:unraid
version="6.12.10"
@@jutsu-ops:tz
@@jutsu-ops:crontz
@@jutsu-ops:ident
America/Los_Angeles
@@jutsu-ops:crontab
0 2 * * * ${SCRIPT}
@@jutsu-ops:schedulejson /boot/config/plugins/user.scripts/schedule.json
{"${userScript}":{"script":"${userScript}","frequency":"custom","id":"schedule0","custom":"0 23 * * *"}}
@@jutsu-ops:userscript ${userScript}
@@jutsu-ops:end
`;
		const info = interpretSchedule(parseScheduleOutput(out), SCRIPT, at('2026-07-10 12:00:00'));
		expect(info).toMatchObject({source: 'user-scripts', expression: '0 23 * * *', isUnraid: true, unraidVersion: '6.12.10', cronTimeZone: 'America/Los_Angeles', survivesReboot: true});
		expect(info.entries.map(e => e.source).sort()).toEqual(['crontab', 'user-scripts']);
		// 23:00 Los Angeles = 02:00 New York all year (both observe DST together)
		expect(scheduleMeansTwoAm(info, profile, at('2026-07-10 12:00:00')).ok).toBe(true);

		const crontabOnly = interpretSchedule(parseScheduleOutput(out.replace(/@@jutsu-ops:schedulejson[^]*?@@jutsu-ops:end/u, '@@jutsu-ops:end')), SCRIPT, 0);
		expect(crontabOnly).toMatchObject({source: 'crontab', survivesReboot: false});
	});

	it('a plugin .cron file on the flash drive, and no schedule at all', () => {
		const out = `@@jutsu-ops:unraid
version="7.0.0"
@@jutsu-ops:file /boot/config/plugins/jutsu/sync.cron
# generated
0 2 * * * ${SCRIPT} > /dev/null 2>&1
@@jutsu-ops:end
`;
		expect(interpretSchedule(parseScheduleOutput(out), SCRIPT, 0)).toMatchObject({source: 'plugin-cron', path: '/boot/config/plugins/jutsu/sync.cron', cronTimeZone: 'UTC', survivesReboot: true});
		const none = interpretSchedule(parseScheduleOutput('@@jutsu-ops:crontab\n# nothing\n@@jutsu-ops:end\n'), SCRIPT, 0);
		expect(none).toMatchObject({source: 'none', survivesReboot: false, crontabAvailable: true});
		expect(none.nextRun).toBeUndefined();
	});

	it('the remote script is valid sh and prints every section on a host without any of it', () => {
		const dir = mkdtempSync(join(tmpdir(), 'jutsu-sched-'));
		const fake = join(dir, 'crontab');
		writeFileSync(fake, `#!/bin/sh\necho "0 2 * * * ${SCRIPT}"\n`, {mode: 0o755});
		const out = execFileSync('sh', ['-c', scheduleScript(SCRIPT).text], {encoding: 'utf8', env: {PATH: `${dir}:/usr/bin:/bin`, TZ: NY}});
		const raw = parseScheduleOutput(out);
		expect(raw.tzEnv).toBe(NY);
		expect(raw.crontab).toContain(SCRIPT);
		expect(out).toContain('@@jutsu-ops:end');
	});
});
