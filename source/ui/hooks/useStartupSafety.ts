import {useEffect} from 'react';
import type {AppServices} from '../services.js';

/**
 * The header's safety badge from the start: the checks run once in the background (read-only) when the console
 * opens; `skip` when the first screen is Safety, which runs them itself. A result already set is kept.
 */
export function useStartupSafety(services: AppServices, skip: boolean, setFailed: (update: (previous: boolean | undefined) => boolean | undefined) => void): void {
	useEffect(() => {
		if (skip) return;
		const controller = new AbortController();
		services.runSafety({}, () => undefined, controller.signal).then(report => {
			if (!controller.signal.aborted) setFailed(previous => previous ?? report.summary.fail > 0);
		}, () => undefined);
		return () => controller.abort();
	}, [services, skip, setFailed]);
}
