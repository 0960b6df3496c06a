import {useCallback, useEffect, useRef, useState} from 'react';
import {describeError} from '../../core/errors.js';
import type {Commit, FeatureBranch} from '../../core/git/repo.js';
import type {PromotionPlan} from '../../core/promote/engine.js';
import type {GateReview, Journal, PromotionTarget, StepRecord} from '../../core/promote/types.js';
import {stepsFor} from '../../core/promote/types.js';
import type {AppServices} from '../services.js';

export interface StepView extends StepRecord {
	title: string;
	/** Latest progress line of a running step. */
	progress?: string;
	/** ms since epoch when this run of the step began (for the elapsed clock). */
	began?: number;
	took?: number;
}

export interface PromoteRun {
	branch: string;
	target: PromotionTarget;
	steps: StepView[];
	notes: string[];
	running: boolean;
	journal?: Journal;
	error?: string[];
	gate?: GateReview;
}

/** Branch list, preview, the running pipeline and the gate, for the Promote screen. Core is reached only through services.promote. */
export function usePromote(services: AppServices) {
	const promote = services.promote;
	const [branches, setBranches] = useState<FeatureBranch[]>([]);
	const [loading, setLoading] = useState(true);
	const [error, setError] = useState<string | undefined>();
	const [preview, setPreview] = useState<{branch: string; commits: Commit[]; diffstat: string; base: string} | undefined>();
	const [run, setRun] = useState<PromoteRun | undefined>();
	const [plan, setPlan] = useState<PromotionPlan | string[] | undefined>();
	const [rollbackState, setRollbackState] = useState<{running: boolean; message?: string; error?: string} | undefined>();
	const gateResolver = useRef<((ok: boolean) => void) | undefined>(undefined);
	const controller = useRef<AbortController | undefined>(undefined);
	const alive = useRef(new AbortController());

	useEffect(() => () => {
		alive.current.abort();
		controller.current?.abort();
		gateResolver.current?.(false);
	}, []);

	const refresh = useCallback(() => {
		setLoading(true);
		promote.listBranches(alive.current.signal)
			.then(list => {
				setBranches(list);
				setError(undefined);
			})
			.catch(e => setError(describeError(e).join(' ')))
			.finally(() => setLoading(false));
	}, [promote]);

	useEffect(() => {
		refresh();
	}, [refresh]);

	const loadPreview = useCallback((branch: string | undefined) => {
		if (!branch) return;
		promote.preview(branch, alive.current.signal)
			.then(p => setPreview({branch, ...p}))
			.catch(e => setPreview({branch, commits: [], diffstat: describeError(e).join(' '), base: ''}));
	}, [promote]);

	const start = useCallback((branch: string, target: PromotionTarget) => {
		const titles = promote.titles();
		const view: PromoteRun = {branch, target, running: true, notes: [], steps: stepsFor(target).map(id => ({id, status: 'pending', title: titles[id] ?? id}))};
		setRun(view);
		setRollbackState(undefined);
		const ac = new AbortController();
		controller.current = ac;
		const update = (fn: (r: PromoteRun) => PromoteRun) => setRun(r => (r ? fn(r) : r));
		promote.run(branch, target, {
			onEvent(event) {
				if (event.type === 'journal') {
					const journal = structuredClone(event.journal);
					update(r => ({...r, journal, steps: r.steps.map(s => {
						const rec = journal.steps.find(j => j.id === s.id);
						return rec && s.status !== 'running' && rec.status !== 'running' ? {...s, ...rec} : s;
					})}));
				} else if (event.type === 'step') {
					const now = Date.now();
					update(r => ({...r, steps: r.steps.map(s => (s.id !== event.step.id ? s : event.step.status === 'running'
						? {...s, ...event.step, began: now, progress: undefined, took: undefined}
						: {...s, ...event.step, took: s.began ? now - s.began : undefined, progress: undefined}))}));
				} else if (event.type === 'progress') {
					update(r => ({...r, steps: r.steps.map(s => (s.id === event.id ? {...s, progress: event.message} : s))}));
				} else {
					update(r => ({...r, notes: [...r.notes, event.message].slice(-3)}));
				}
			},
			confirmGate: review => new Promise<boolean>(resolve => {
				gateResolver.current = resolve;
				update(r => ({...r, gate: review}));
			}),
		}, ac.signal)
			.then(journal => update(r => ({...r, running: false, journal, gate: undefined, error: journal.status === 'done' ? undefined : journal.reason})))
			.catch(e => update(r => ({...r, running: false, gate: undefined, error: describeError(e)})))
			.finally(() => refresh());
	}, [promote, refresh]);

	const answerGate = useCallback((ok: boolean) => {
		const resolve = gateResolver.current;
		gateResolver.current = undefined;
		setRun(r => (r ? {...r, gate: undefined} : r));
		resolve?.(ok);
	}, []);

	const dryRun = useCallback((branch: string, target: PromotionTarget) => {
		setPlan(['working out the plan…']);
		promote.dryRun(branch, target, alive.current.signal).then(setPlan).catch(e => setPlan(describeError(e)));
	}, [promote]);

	const rollback = useCallback((confirmProduction: boolean) => {
		setRollbackState({running: true});
		promote.rollback(confirmProduction, message => setRollbackState({running: true, message}), alive.current.signal)
			.then(message => setRollbackState({running: false, message}))
			.catch(e => setRollbackState({running: false, error: describeError(e).join(' ')}));
	}, [promote]);

	return {
		branches, loading, error, refresh, preview, loadPreview,
		run, start, answerGate, closeRun: () => setRun(undefined),
		plan, dryRun, closePlan: () => setPlan(undefined),
		rollbackState, rollback,
		unfinished: promote.unfinished,
	};
}
