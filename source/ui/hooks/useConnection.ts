import {useEffect, useState} from 'react';
import type {ConnectionState} from '../../core/transport/types.js';
import type {AppServices} from '../services.js';

/** Connection state and a round-trip latency measured every few seconds. */
export function useConnection(services: AppServices, intervalMs = 10_000): {state: ConnectionState; latencyMs: number | undefined} {
	const [state, setState] = useState<ConnectionState>(services.connectionState());
	const [latencyMs, setLatency] = useState<number | undefined>();
	useEffect(() => services.onConnectionChange(setState), [services]);
	useEffect(() => {
		const controller = new AbortController();
		const measure = () => {
			services.ping(controller.signal).then(ms => {
				if (!controller.signal.aborted) setLatency(ms);
			}, () => undefined);
		};
		measure();
		const timer = setInterval(measure, intervalMs);
		return () => {
			controller.abort();
			clearInterval(timer);
		};
	}, [services, intervalMs]);
	return {state, latencyMs};
}
