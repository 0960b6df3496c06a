import type {Session} from '../session.js';
import {readHistory, type HistoryEntry} from './history.js';
import {attachLog, runSyncLive, SyncWatch} from './live.js';
import {runPreflight, type CheckResult, type PreflightReport} from './preflight.js';
import {readSchedule, scheduleMeansTwoAm, type ScheduleInfo, type TargetTimeCheck} from './schedule.js';
import {openPair, verifySync, type VerifyReport} from './verify.js';

/** What the Sync screen may ask (through AppServices.sync); tests pass fakes. */
export interface SyncServices {
	newWatch(): SyncWatch;
	/** Preflight, start detached, stream, verify; aborting the signal stops the remote run (lock released). */
	run(watch: SyncWatch, signal: AbortSignal, options?: {skipPreflight?: boolean; reattach?: boolean}): Promise<void>;
	/** Follow the sync log (the scheduled run, or one started elsewhere) until the signal aborts. */
	attach(watch: SyncWatch, signal: AbortSignal): Promise<void>;
	preflight(signal: AbortSignal, onResult?: (result: CheckResult) => void): Promise<PreflightReport>;
	history(signal: AbortSignal): Promise<HistoryEntry[]>;
	schedule(signal: AbortSignal): Promise<ScheduleInfo & {twoAm: TargetTimeCheck}>;
	verify(signal: AbortSignal): Promise<VerifyReport>;
}

export function sessionSyncServices(session: Session): SyncServices {
	const {transport, profile} = session;
	return {
		newWatch: () => new SyncWatch(profile),
		run: (watch, signal, options = {}) => runSyncLive(transport, watch, {signal, ...options}),
		attach: (watch, signal) => attachLog(transport, watch, signal),
		preflight: (signal, onResult) => runPreflight(transport, profile, signal, onResult),
		history: signal => readHistory(transport, profile, signal),
		async schedule(signal) {
			const info = await readSchedule(transport, profile, signal);
			return {...info, twoAm: scheduleMeansTwoAm(info, profile)};
		},
		async verify(signal) {
			const pair = await openPair(transport, profile, signal);
			try {
				return await verifySync(pair, profile.sync.tables);
			} finally {
				await pair.close();
			}
		},
	};
}
