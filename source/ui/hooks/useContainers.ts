import {useCallback, useEffect, useRef, useState} from 'react';
import type {EnvironmentName} from '../../core/config/schema.js';
import type {Container} from '../../core/docker/containers.js';
import {describeError} from '../../core/errors.js';
import type {AppServices} from '../services.js';

export interface ContainersState {
	containers: Container[];
	loading: boolean;
	error: string | undefined;
	/** Environments whose host did not answer the last listing (their containers are unknown, not missing). */
	unreachable: EnvironmentName[];
	updatedAt: number | undefined;
	refresh(): void;
}

/** Containers, refreshed on Docker events (debounced) and at a modest interval; never a stats stream. */
export function useContainers(services: AppServices, intervalMs = 30_000): ContainersState {
	const [containers, setContainers] = useState<Container[]>([]);
	const [loading, setLoading] = useState(true);
	const [error, setError] = useState<string | undefined>();
	const [unreachable, setUnreachable] = useState<EnvironmentName[]>([]);
	const [updatedAt, setUpdatedAt] = useState<number | undefined>();
	const inFlight = useRef<AbortController | undefined>(undefined);
	const debounce = useRef<NodeJS.Timeout | undefined>(undefined);

	const refresh = useCallback(() => {
		inFlight.current?.abort();
		const controller = new AbortController();
		inFlight.current = controller;
		setLoading(true);
		services.listContainers(controller.signal).then(list => {
			if (controller.signal.aborted) return;
			setContainers(list);
			setError(undefined);
			setUnreachable([]);
			setUpdatedAt(Date.now());
			setLoading(false);
		}, (error_: unknown) => {
			if (controller.signal.aborted) return;
			// One of two hosts did not answer: show the other's containers beside the reason.
			const partial = error_ as {containers?: Container[]; unreachable?: EnvironmentName[]} | undefined;
			if (Array.isArray(partial?.containers)) {
				setContainers(partial.containers);
				setUnreachable(partial.unreachable ?? []);
				setUpdatedAt(Date.now());
			}
			setError(describeError(error_).join(' '));
			setLoading(false);
		});
	}, [services]);

	useEffect(() => {
		refresh();
		const watch = new AbortController();
		void services.watchContainers(() => {
			if (debounce.current) clearTimeout(debounce.current);
			debounce.current = setTimeout(refresh, 300);
		}, watch.signal);
		const timer = setInterval(refresh, intervalMs);
		return () => {
			watch.abort();
			inFlight.current?.abort();
			clearInterval(timer);
			if (debounce.current) clearTimeout(debounce.current);
		};
	}, [services, refresh, intervalMs]);

	return {containers, loading, error, unreachable, updatedAt, refresh};
}
