import {useCallback, useEffect, useRef, useState} from 'react';
import type {HistoryEntry} from '../../core/sync/history.js';
import type {SyncWatch} from '../../core/sync/live.js';
import type {CheckResult} from '../../core/sync/preflight.js';
import type {ScheduleInfo, TargetTimeCheck} from '../../core/sync/schedule.js';
import type {VerifyReport} from '../../core/sync/verify.js';
import {describeError} from '../../core/errors.js';
import type {AppServices} from '../services.js';

export type SyncTask = 'none' | 'run' | 'attach' | 'preflight' | 'verify';

/**
 * The Sync screen's state. Streamed lines live in the watch's RingBuffer (outside React); a 80 ms timer
 * re-renders only when the watch changed. One task at a time; starting another or leaving aborts it.
 */
export function useSync(services: AppServices) {
	const sync = services.sync;
	const watchRef = useRef<SyncWatch>(sync.newWatch());
	const controller = useRef<AbortController | undefined>(undefined);
	const [, setVersion] = useState(0);
	const [task, setTask] = useState<SyncTask>('none');
	const [schedule, setSchedule] = useState<(ScheduleInfo & {twoAm: TargetTimeCheck}) | undefined>();
	const [history, setHistory] = useState<HistoryEntry[] | undefined>();
	const [checks, setChecks] = useState<CheckResult[] | undefined>();
	const [verify, setVerify] = useState<VerifyReport | undefined>();
	const [error, setError] = useState<string | undefined>();

	useEffect(() => {
		let seen = -1;
		const timer = setInterval(() => {
			if (watchRef.current.version !== seen) {
				seen = watchRef.current.version;
				setVersion(seen);
			}
		}, 80);
		return () => clearInterval(timer);
	}, []);

	const loadSide = useCallback(() => {
		const c = new AbortController();
		sync.schedule(c.signal).then(setSchedule, e => setError(describeError(e).join(' ')));
		sync.history(c.signal).then(setHistory, () => undefined);
		return c;
	}, [sync]);

	useEffect(() => {
		const c = loadSide();
		return () => {
			c.abort();
			controller.current?.abort();
		};
	}, [loadSide]);

	const start = useCallback((kind: Exclude<SyncTask, 'none'>, options: {reattach?: boolean} = {}) => {
		if (controller.current && !controller.current.signal.aborted && task !== 'none') return;
		const c = new AbortController();
		controller.current = c;
		setError(undefined);
		setTask(kind);
		let promise: Promise<unknown>;
		if (kind === 'run' || kind === 'attach') {
			watchRef.current = sync.newWatch();
			promise = kind === 'run' ? sync.run(watchRef.current, c.signal, options) : sync.attach(watchRef.current, c.signal);
		} else if (kind === 'preflight') {
			const results: CheckResult[] = [];
			setChecks([]);
			promise = sync.preflight(c.signal, r => {
				results.push(r);
				setChecks([...results]);
			});
		} else {
			setVerify(undefined);
			promise = sync.verify(c.signal).then(setVerify);
		}
		promise.then(() => undefined, e => {
			if (!c.signal.aborted || kind === 'run') setError(describeError(e).join(' '));
		}).finally(() => {
			setTask('none');
			if (kind === 'run') sync.history(new AbortController().signal).then(setHistory, () => undefined);
		});
	}, [sync, task]);

	/** Stop the running task: for a run, the remote process group is stopped and the lock released. */
	const stop = useCallback(() => {
		controller.current?.abort();
	}, []);

	return {watch: watchRef.current, task, schedule, history, checks, verify, error, start, stop, refresh: loadSide};
}
