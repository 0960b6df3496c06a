/**
 * One sync run (or an attach to the log) as a React-free model: preflight, start detached, stream by offset,
 * abort, verify. Output lines go into a bounded RingBuffer; the screen and the plain CLI read the same model.
 */
import type {Profile} from '../config/schema.js';
import {OpsError, isOpsError} from '../errors.js';
import {RingBuffer} from '../ring-buffer.js';
import {sanitizeLine} from '../ansi.js';
import {scrubber} from '../secrets.js';
import type {Transport} from '../transport/types.js';
import {parseSyncLog, type SyncRun} from './log.js';
import {runPreflight, type PreflightReport} from './preflight.js';
import {abortRun, findActiveRun, type RunEnd, startRun, type StartedRun, streamFiles, syncPaths} from './run.js';
import {openPair, saveSnapshot, snapshotStaging, type StagingSnapshot, verifySync, type VerifyReport} from './verify.js';

export type SyncPhase = 'idle' | 'preflight' | 'starting' | 'running' | 'reconnecting' | 'stopping' | 'verifying' | 'done' | 'failed' | 'attached';

export interface OutputLine {
	stream: 'log' | 'out';
	text: string;
	at: number;
}

export interface TableProgress {
	table: string;
	state: 'pending' | 'running' | 'done' | 'failed';
	rows?: number;
}

const LOG_LINE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} - /u;

export class SyncWatch {
	readonly lines: RingBuffer<OutputLine>;
	phase: SyncPhase = 'idle';
	preflight?: PreflightReport;
	run?: StartedRun;
	end?: RunEnd;
	verify?: VerifyReport;
	error?: string;
	/** Bumped on every change, so a timer-driven screen can tell whether to re-render. */
	version = 0;
	private logText: string[] = [];
	private readonly listeners = new Set<() => void>();

	constructor(readonly profile: Profile, capacity = profile.logs.bufferLines) {
		this.lines = new RingBuffer<OutputLine>(capacity);
	}

	onChange(listener: () => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	changed(): void {
		this.version++;
		for (const l of this.listeners) l();
	}

	setPhase(phase: SyncPhase): void {
		this.phase = phase;
		this.changed();
	}

	pushLine(stream: 'log' | 'out', raw: string): void {
		const text = sanitizeLine(scrubber.scrub(raw));
		this.lines.push({stream, text, at: Date.now()});
		// the run's steps come from the log's timestamped lines and the error lines under them
		if (stream === 'log' && (LOG_LINE.test(text) || /ERROR|FATAL|error|not found/u.test(text)) && this.logText.length < 10_000) this.logText.push(text);
		this.changed();
	}

	/** The run as parsed from the streamed log lines (the last run in them). */
	get parsed(): SyncRun | undefined {
		const runs = parseSyncLog(this.logText.join('\n'), this.profile.sync.timezone);
		return runs.at(-1);
	}

	get tables(): TableProgress[] {
		const run = this.parsed;
		return this.profile.sync.tables.map(table => {
			const step = run?.tables.find(t => t.table === table);
			if (!step) return {table, state: run?.status === 'failed' ? 'pending' : 'pending'};
			if (step.rows !== undefined) return {table, state: 'done', rows: step.rows};
			if (run?.status === 'failed' || (this.end && this.end.code !== 0)) return {table, state: 'failed'};
			return {table, state: this.end ? 'failed' : 'running'};
		});
	}

	get durationMs(): number | undefined {
		if (!this.run) return undefined;
		return (this.end?.endedAt ?? Date.now()) - this.run.startedAt;
	}
}

export interface RunOptions {
	signal: AbortSignal;
	/** Skip the checklist (tests of failure paths); a failed check otherwise refuses the run. */
	skipPreflight?: boolean;
	/** Watch a run already going on the host instead of starting one. */
	reattach?: boolean;
}

/**
 * Preflight, snapshot staging's other tables, start the script detached, stream it, then verify. Aborting the
 * signal stops the remote process group (the lock is released) and still records the end and verifies.
 */
export async function runSyncLive(transport: Transport, watch: SyncWatch, options: RunOptions): Promise<void> {
	const {profile} = watch;
	try {
		if (!options.reattach && !options.skipPreflight) {
			watch.setPhase('preflight');
			watch.preflight = await runPreflight(transport, profile, options.signal, () => watch.changed());
			if (!watch.preflight.ok) {
				const failed = watch.preflight.results.filter(r => r.status === 'fail');
				throw new OpsError('failure', `Preflight failed: ${failed.map(f => `${f.title.toLowerCase()}: ${f.detail}`).join('; ')}. Nothing was started.`);
			}
		}
		let before: StagingSnapshot | undefined;
		try {
			const pair = await openPair(transport, profile, options.signal);
			try {
				before = await snapshotStaging(pair.staging, profile.sync.tables);
			} finally {
				await pair.close();
			}
		} catch (error) {
			if (options.signal.aborted) throw error;
			watch.pushLine('out', `jutsu-ops: no snapshot of staging before the run (${isOpsError(error) ? error.message : String(error)})`);
		}
		watch.setPhase('starting');
		if (options.reattach) {
			const active = await findActiveRun(transport, profile, options.signal);
			if (!active) throw new OpsError('failure', 'No sync started by jutsu-ops is running on the host. Nothing was changed.', {hint: 'Use attach to follow the sync log instead.'});
			watch.run = active;
		} else {
			watch.run = await startRun(transport, profile, options.signal);
		}
		if (before && !options.reattach) await saveSnapshot(transport, syncPaths(profile).runs, watch.run.runId, before, options.signal).catch(() => undefined);
		watch.setPhase('running');
		const run = watch.run;
		const targets = [
			{id: 'log', path: profile.sync.log, offset: run.logOffset},
			{id: 'out', path: run.outFile, offset: 0},
		];
		const stream = (signal: AbortSignal) => streamFiles(transport, targets, {
			signal, exitFile: run.exitFile, pid: run.pid,
			onLine: (id, line) => watch.pushLine(id === 'log' ? 'log' : 'out', line),
			onStatus: s => watch.setPhase(s === 'reconnecting' ? 'reconnecting' : 'running'),
		});
		try {
			watch.end = await stream(options.signal);
		} catch (error) {
			if (!options.signal.aborted) throw error;
			watch.setPhase('stopping');
			const cleanup = AbortSignal.timeout(60_000);
			await abortRun(transport, profile, run, cleanup);
			watch.end = await stream(cleanup);
		}
		watch.changed();
		watch.setPhase('verifying');
		try {
			const pair = await openPair(transport, profile);
			try {
				watch.verify = await verifySync(pair, profile.sync.tables, before);
			} finally {
				await pair.close();
			}
		} catch (error) {
			watch.pushLine('out', `jutsu-ops: verify could not run (${isOpsError(error) ? error.message : String(error)})`);
		}
		const failed = !watch.end || watch.end.code !== 0;
		watch.setPhase(failed ? 'failed' : 'done');
	} catch (error) {
		watch.error = scrubber.scrub(isOpsError(error) ? error.toLines().join(' ') : error instanceof Error ? error.message : String(error));
		watch.setPhase('failed');
		throw error;
	}
}

/** Follow the configured sync log live (from its last `tailBytes`), until aborted; resumes after reconnects. */
export async function attachLog(transport: Transport, watch: SyncWatch, signal: AbortSignal, tailBytes = 4096): Promise<void> {
	const {profile} = watch;
	const sizeResult = await transport.exec(['sh', '-c', 'stat -c %s "$1" 2>/dev/null || echo 0', 'sh', profile.sync.log], {signal});
	const size = Number(sizeResult.stdout.trim()) || 0;
	let offset = Math.max(0, size - tailBytes);
	watch.setPhase('attached');
	const targets = [{id: 'log', path: profile.sync.log, offset}];
	let first = offset > 0;
	try {
		await streamFiles(transport, targets, {
			signal,
			onLine: (_id, line) => {
				if (first) {
					first = false; // the first line read mid-file is partial
					return;
				}
				watch.pushLine('log', line);
			},
			onStatus: s => watch.setPhase(s === 'reconnecting' ? 'reconnecting' : 'attached'),
		});
	} catch (error) {
		if (!signal.aborted) throw error;
	}
	offset = targets[0]!.offset;
	void offset;
}

export {syncPaths};
