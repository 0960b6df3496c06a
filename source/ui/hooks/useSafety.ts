import {useCallback, useEffect, useRef, useState} from 'react';
import {describeError} from '../../core/errors.js';
import {safetyChecks} from '../../core/safety/checks.js';
import type {CheckState, SafetyGroup, SafetyReport} from '../../core/safety/types.js';
import {useSafetyBadge} from '../safety-state.js';
import type {AppServices} from '../services.js';

export interface SafetyRow {
	id: string;
	group: SafetyGroup;
	title: string;
	state: CheckState;
}

export interface SafetyState {
	rows: SafetyRow[];
	running: boolean;
	report: SafetyReport | undefined;
	error: string | undefined;
	/** Run every check again (with the opt-in live-trading probe when asked). */
	run(probeTrading?: boolean): void;
}

/** Runs the checks on mount and on demand; each check's state streams in as it finishes. */
export function useSafety(services: AppServices): SafetyState {
	const badge = useSafetyBadge();
	const [rows, setRows] = useState<SafetyRow[]>(() => safetyChecks(services.profile).map(c => ({id: c.id, group: c.group, title: c.title, state: {status: 'pending'}})));
	const [running, setRunning] = useState(false);
	const [report, setReport] = useState<SafetyReport | undefined>();
	const [error, setError] = useState<string | undefined>();
	const inFlight = useRef<AbortController | undefined>(undefined);

	const run = useCallback((probeTrading = false) => {
		inFlight.current?.abort();
		const controller = new AbortController();
		inFlight.current = controller;
		setRunning(true);
		setError(undefined);
		setRows(prev => prev.map(r => ({...r, state: {status: 'pending'}})));
		services.runSafety({probeTrading}, (id, state) => {
			if (controller.signal.aborted) return;
			setRows(prev => prev.map(r => (r.id === id ? {...r, state} : r)));
		}, controller.signal).then(result => {
			if (controller.signal.aborted) return;
			setRows(prev => {
				const known = new Set(prev.map(r => r.id));
				const added = result.checks.filter(c => !known.has(c.id)).map(c => ({id: c.id, group: c.group, title: c.title, state: c}));
				return [...prev.filter(r => result.checks.some(c => c.id === r.id)).map(r => ({...r, state: result.checks.find(c => c.id === r.id)!})), ...added];
			});
			setReport(result);
			setRunning(false);
			badge.setFailed(result.summary.fail > 0);
		}, (error_: unknown) => {
			if (controller.signal.aborted) return;
			setError(describeError(error_).join(' '));
			setRunning(false);
		});
	}, [services, badge]);

	useEffect(() => {
		run(false);
		return () => inFlight.current?.abort();
		// run once on mount; later runs are the operator's
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [services]);

	return {rows, running, report, error, run};
}
