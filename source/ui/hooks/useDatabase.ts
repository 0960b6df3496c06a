import {useCallback, useEffect, useRef, useState} from 'react';
import type {DatabaseReport} from '../../core/db/inspect.js';
import {describeError} from '../../core/errors.js';
import type {AppServices} from '../services.js';

/** The Database screen's state: estimates at once, exact counts on demand; a new read aborts the old one. */
export function useDatabase(services: AppServices) {
	const [report, setReport] = useState<DatabaseReport | undefined>();
	const [loading, setLoading] = useState<'estimate' | 'exact' | undefined>();
	const [error, setError] = useState<string | undefined>();
	const controller = useRef<AbortController | undefined>(undefined);

	const load = useCallback((exact: boolean) => {
		controller.current?.abort();
		const c = new AbortController();
		controller.current = c;
		setLoading(exact ? 'exact' : 'estimate');
		setError(undefined);
		services.database({exact}, c.signal).then(r => {
			if (!c.signal.aborted) setReport(r);
		}, e => {
			if (!c.signal.aborted) setError(describeError(e).join(' '));
		}).finally(() => {
			if (controller.current === c) setLoading(undefined);
		});
	}, [services]);

	useEffect(() => {
		load(false);
		return () => controller.current?.abort();
	}, [load]);

	return {report, loading, error, load};
}
