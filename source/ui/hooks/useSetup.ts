import {useCallback, useEffect, useRef, useState} from 'react';
import {describeError} from '../../core/errors.js';
import type {SetupReport, StepReport} from '../../core/setup/staging.js';
import type {AppServices} from '../services.js';

/** The Setup screen's state: a dry run on open (the preview), a real run on request; leaving aborts. */
export function useSetup(services: AppServices) {
	const [steps, setSteps] = useState<StepReport[]>([]);
	const [report, setReport] = useState<SetupReport | undefined>();
	const [running, setRunning] = useState<'dry-run' | 'run' | undefined>();
	const [progress, setProgress] = useState<string | undefined>();
	const [error, setError] = useState<string | undefined>();
	/** The step waiting for the operator's yes or no (a real run asks before each step that changes something). */
	const [pending, setPending] = useState<StepReport | undefined>();
	const answerRef = useRef<((yes: boolean) => void) | undefined>(undefined);
	const controller = useRef<AbortController | undefined>(undefined);

	const start = useCallback((dryRun: boolean) => {
		if (controller.current && !controller.current.signal.aborted && running) return;
		const c = new AbortController();
		controller.current = c;
		setRunning(dryRun ? 'dry-run' : 'run');
		setError(undefined);
		setReport(undefined);
		setProgress(undefined);
		const seen: StepReport[] = [];
		setSteps([]);
		services.setup({dryRun}, {
			onStep: step => {
				const i = seen.findIndex(s => s.id === step.id);
				if (i === -1) seen.push({...step});
				else seen[i] = {...step};
				setSteps([...seen]);
			},
			onProgress: setProgress,
			...(dryRun ? {} : {confirm: (step: StepReport) => new Promise<boolean>(resolve => {
				answerRef.current = resolve;
				setPending(step);
				c.signal.addEventListener('abort', () => resolve(false), {once: true});
			})}),
		}, c.signal).then(r => {
			setReport(r);
			setSteps(r.steps);
		}, e => {
			if (!c.signal.aborted) setError(describeError(e).join(' '));
		}).finally(() => {
			if (controller.current === c) setRunning(undefined);
			setProgress(undefined);
			setPending(undefined);
		});
	}, [services, running]);

	const answer = useCallback((yes: boolean) => {
		answerRef.current?.(yes);
		answerRef.current = undefined;
		setPending(undefined);
	}, []);

	useEffect(() => {
		start(true);
		return () => controller.current?.abort();
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [services]);

	return {steps, report, running, progress, error, pending, answer, start};
}
