import {bold, dim, green, red, yellow} from '../core/color.js';
import {OpsError} from '../core/errors.js';
import type {Session} from '../core/session.js';
import {formatInZone} from '../core/time.js';
import {readHistory, type HistoryEntry} from '../core/sync/history.js';
import {attachLog, runSyncLive, SyncWatch} from '../core/sync/live.js';
import {runPreflight, type CheckResult} from '../core/sync/preflight.js';
import {installSafeScript, previewSafeScript} from '../core/sync/safe-script.js';
import {installSchedule, readSchedule, scheduleMeansTwoAm} from '../core/sync/schedule.js';
import {lastSnapshot, openPair, verifySync, type VerifyReport} from '../core/sync/verify.js';
import {syncPaths} from '../core/sync/run.js';

export interface SyncCommandOptions {
	json: boolean;
	preflight?: boolean;
	limit?: number;
	yes?: boolean;
	schedule?: boolean;
}

const out = (text = '') => process.stdout.write(`${text}\n`);
const mark = (status: string) => status === 'ok' ? green('ok  ') : status === 'warn' ? yellow('warn') : status === 'skip' ? dim('skip') : red('FAIL');
const seconds = (ms: number | undefined) => ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`;

function printChecks(results: CheckResult[]): void {
	for (const r of results) out(`${mark(r.status)} ${r.title}: ${r.detail}`);
}

function printVerify(report: VerifyReport): void {
	out(bold('Verify (production read-only)'));
	for (const s of report.synced) {
		const detail = s.error ?? `production ${s.production?.rows} rows / staging ${s.staging?.rows} rows, checksums ${s.equal ? 'equal' : 'differ'}`;
		out(`${mark(s.equal ? 'ok' : 'fail')} ${s.table}: ${detail}`);
	}
	for (const u of report.unchanged) {
		out(`${mark(u.equal ? 'ok' : 'fail')} ${u.table} (not synced): ${u.equal ? `unchanged (${u.after?.rows} rows)` : `changed: ${u.before?.rows ?? '-'} rows before, ${u.after?.rows ?? '-'} after`}`);
	}
	if (!report.unchanged.length) out(dim('(no snapshot from before a run: only the synced tables were compared)'));
	out(dim(`verify took ${seconds(report.durationMs)}`));
}

function historyLine(h: HistoryEntry, zone: string): string {
	const status = h.status === 'success' ? green('success') : h.status === 'failed' ? red('failed ') : yellow('running/incomplete');
	const tables = h.tables.map(t => `${t.table}${t.rows === undefined ? '' : `=${t.rows}`}`).join(' ');
	return `${formatInZone(h.startedAt, zone)}  ${status}  ${seconds(h.durationMs).padStart(7)}  ${tables}${h.error ? `  ${dim(h.error)}` : ''}`;
}

export async function syncCommand(session: Session, action: string, options: SyncCommandOptions, signal: AbortSignal): Promise<number> {
	const {transport, profile} = session;
	await transport.connect(signal);
	switch (action) {
		case 'preflight': {
			const report = await runPreflight(transport, profile, signal, options.json ? undefined : r => printChecks([r]));
			if (options.json) out(JSON.stringify({ok: report.ok, checks: report.results}, null, 2));
			return report.ok ? 0 : 1;
		}
		case 'history': {
			const history = (await readHistory(transport, profile, signal)).slice(0, options.limit ?? 20);
			if (options.json) out(JSON.stringify(history, null, 2));
			else {
				if (!history.length) out('No sync runs in the log.');
				for (const h of history) out(historyLine(h, profile.sync.timezone));
			}
			return 0;
		}
		case 'verify': {
			const pair = await openPair(transport, profile, signal);
			try {
				// the other staging tables are compared with the snapshot taken before the last run jutsu-ops started
				const last = await lastSnapshot(transport, syncPaths(profile).runs, signal);
				const report = await verifySync(pair, profile.sync.tables, last?.snapshot);
				if (options.json) out(JSON.stringify({...report, ...(last ? {snapshotOfRun: last.runId} : {})}, null, 2));
				else {
					if (last) out(dim(`other staging tables compared with the snapshot taken before run ${last.runId}`));
					printVerify(report);
				}
				return report.ok ? 0 : 1;
			} finally {
				await pair.close();
			}
		}
		case 'schedule': {
			const info = await readSchedule(transport, profile, signal);
			const check = scheduleMeansTwoAm(info, profile);
			const localZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
			if (options.json) {
				out(JSON.stringify({...info, crontab: undefined, twoAm: check}, null, 2));
			} else if (info.source === 'none') {
				out(yellow('No schedule runs the sync script (jutsu-ops sync install-safe-script --schedule --yes installs one).'));
			} else {
				out(`${info.source}: ${info.expression}  ${dim(info.path ?? '')}`);
				out(`cron zone ${info.cronTimeZone}; ${check.ok ? green(`2 AM ${profile.sync.timezone}`) : yellow(`not 2 AM ${profile.sync.timezone}${check.example ? ` (runs at ${check.example})` : ''}`)}${info.survivesReboot ? '' : yellow('; lost at reboot')}`);
				if (info.nextRun) out(`next run ${formatInZone(info.nextRun, profile.sync.timezone)} (${formatInZone(info.nextRun, localZone)} here)`);
			}
			return info.source === 'none' || !check.ok ? 1 : 0;
		}
		case 'install-safe-script': {
			const preview = await previewSafeScript(transport, profile, signal);
			if (!options.yes) {
				if (options.json) out(JSON.stringify({path: preview.path, exists: preview.exists, alreadyInstalled: preview.isSafeAlready, diff: preview.diff}, null, 2));
				else {
					out(bold(`Replace ${preview.path}${preview.exists ? '' : ' (new file)'}:`));
					for (const line of preview.diff) out(line.startsWith('+') ? green(line) : line.startsWith('-') ? red(line) : dim(line));
					out(yellow('Nothing was written. Re-run with --yes to install (the current file is kept as a .bak copy).'));
				}
				return 0;
			}
			const result = await installSafeScript(transport, profile, signal);
			const schedule = options.schedule ? await installSchedule(transport, profile, signal) : undefined;
			if (options.json) out(JSON.stringify({...result, schedule}, null, 2));
			else {
				out(result.changed ? `Installed the safe sync script at ${result.path}${result.backup ? `; the previous file is ${result.backup}` : ''}.` : `${result.path} is already the safe sync script.`);
				if (schedule) out(`Schedule (${schedule.source}): ${schedule.plan.lines.map(l => l.expression).join(', ')}: ${schedule.plan.note}.`);
			}
			return 0;
		}
		case 'attach': {
			const watch = new SyncWatch(profile);
			let printed = 0;
			watch.onChange(() => {
				const fresh = watch.lines.total - printed;
				for (const line of watch.lines.tail(Math.min(fresh, watch.lines.size))) out(line.text);
				printed = watch.lines.total;
			});
			await attachLog(transport, watch, signal);
			return 0;
		}
		case 'run':
		case 'reattach': {
			const watch = new SyncWatch(profile);
			let printed = 0;
			let phase = watch.phase;
			watch.onChange(() => {
				if (watch.phase !== phase) {
					phase = watch.phase;
					if (!options.json) process.stderr.write(`${dim(`[${phase}]`)}\n`);
				}
				const fresh = watch.lines.total - printed;
				if (!options.json) for (const line of watch.lines.tail(Math.min(fresh, watch.lines.size))) out(line.stream === 'out' ? dim(line.text) : line.text);
				printed = watch.lines.total;
			});
			try {
				await runSyncLive(transport, watch, {signal, skipPreflight: options.preflight === false, reattach: action === 'reattach'});
			} catch (error) {
				if (options.json) out(JSON.stringify({ok: false, error: watch.error, preflight: watch.preflight?.results}, null, 2));
				else if (watch.preflight && !watch.preflight.ok) printChecks(watch.preflight.results);
				if (error instanceof OpsError && error.kind === 'failure') {
					if (!options.json) process.stderr.write(`jutsu-ops: ${error.toLines().join(' ')}\n`);
					return 1;
				}
				throw error;
			}
			const ok = watch.end?.code === 0 && (watch.verify?.ok ?? false);
			if (options.json) {
				out(JSON.stringify({
					ok, runId: watch.run?.runId, exitCode: watch.end?.code ?? null, aborted: watch.end?.aborted ?? false, lost: watch.end?.lost ?? false,
					durationMs: watch.durationMs, tables: watch.tables, error: watch.parsed?.error, verify: watch.verify,
				}, null, 2));
			} else {
				const end = watch.end;
				out(`${end?.code === 0 ? green('Sync finished') : red(end?.aborted ? 'Sync stopped' : end?.lost ? 'Sync lost (no exit recorded)' : 'Sync FAILED')}: exit ${end?.code ?? '-'}, ${seconds(watch.durationMs)}${watch.parsed?.error ? ` (${watch.parsed.error})` : ''}`);
				if (watch.verify) printVerify(watch.verify);
			}
			return ok ? 0 : 1;
		}
		default:
			throw new OpsError('usage', `Unknown sync action "${action}".`, {hint: 'Use run, attach, verify, history, preflight, schedule or install-safe-script.'});
	}
}
