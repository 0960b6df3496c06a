import {useCallback, useRef, useState} from 'react';
import type {EnvironmentName} from '../../core/config/schema.js';
import type {UpdateProgress, UpdateResult} from '../../core/docker/update.js';
import {describeError} from '../../core/errors.js';
import type {AppServices} from '../services.js';

export interface ActionState {
	running: boolean;
	title: string | undefined;
	progress: string[];
	result: string | undefined;
	ok: boolean | undefined;
}

/** Runs one restart or update at a time through AppServices; keeps its progress lines for the screen. */
export function useContainerAction(services: AppServices, onDone: () => void) {
	const [state, setState] = useState<ActionState>({running: false, title: undefined, progress: [], result: undefined, ok: undefined});
	const controller = useRef<AbortController | undefined>(undefined);

	const restart = useCallback((name: string, confirm: string | undefined) => {
		controller.current = new AbortController();
		setState({running: true, title: `restart ${name}`, progress: [`restarting ${name}…`], result: undefined, ok: undefined});
		services.restartContainer(name, confirm, controller.current.signal).then(r => {
			setState(s => ({...s, running: false, ok: true, result: `${name} restarted (${r.status}) in ${(r.durationMs / 1000).toFixed(1)} s`}));
			onDone();
		}, (error: unknown) => {
			setState(s => ({...s, running: false, ok: false, result: describeError(error).join(' ')}));
			onDone();
		});
	}, [services, onDone]);

	const update = useCallback((environment: EnvironmentName, confirm: string | undefined) => {
		controller.current = new AbortController();
		const name = services.profile.environments[environment].container;
		setState({running: true, title: `update ${name}`, progress: [], result: undefined, ok: undefined});
		const onProgress = (p: UpdateProgress) => setState(s => {
			// Repeated "waiting" lines replace each other.
			const progress = p.step === 'wait' && s.progress.at(-1)?.startsWith('waiting') ? [...s.progress.slice(0, -1), p.message] : [...s.progress, p.message];
			return {...s, progress: progress.slice(-12)};
		});
		services.updateContainer(environment, {confirm, onProgress}, controller.current.signal).then((r: UpdateResult) => {
			const text = r.outcome === 'updated' ? `${name} updated: revision ${r.fromRevision?.slice(0, 7) ?? '-'} -> ${r.toRevision?.slice(0, 7) ?? '-'}`
				: r.outcome === 'unchanged' ? `${name} already runs the newest ${r.image}`
				: `${name} ROLLED BACK to revision ${r.fromRevision?.slice(0, 7) ?? '-'}: ${r.reason ?? ''}`;
			setState(s => ({...s, running: false, ok: r.outcome !== 'rolled-back', result: text}));
			onDone();
		}, (error: unknown) => {
			setState(s => ({...s, running: false, ok: false, result: describeError(error).join(' ')}));
			onDone();
		});
	}, [services, onDone]);

	const dismiss = useCallback(() => setState(s => (s.running ? s : {running: false, title: undefined, progress: [], result: undefined, ok: undefined})), []);
	const cancel = useCallback(() => controller.current?.abort(), []);
	return {state, restart, update, dismiss, cancel};
}
