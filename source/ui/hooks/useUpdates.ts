import {useCallback, useEffect, useRef, useState} from 'react';
import type {EnvironmentName} from '../../core/config/schema.js';
import type {Container} from '../../core/docker/containers.js';
import type {UpdateState} from '../../core/docker/registry.js';
import type {AppServices} from '../services.js';

export type UpdateStates = Partial<Record<EnvironmentName, UpdateState>>;

/** Registry update states for production and staging; re-checked when their running images change, and on demand. */
export function useUpdates(services: AppServices, containers: Container[], intervalMs = 5 * 60_000): {updates: UpdateStates; checking: boolean; recheck(): void} {
	const [updates, setUpdates] = useState<UpdateStates>({});
	const [checking, setChecking] = useState(false);
	const [nonce, setNonce] = useState(0);
	const latest = useRef(containers);
	latest.current = containers;
	const names = [services.profile.environments.production.container, services.profile.environments.staging.container];
	// Only the two environment containers' images matter: other containers changing does not re-ask the registry.
	const key = containers.filter(c => names.includes(c.name)).map(c => `${c.name}@${c.imageId}`).sort().join(',');
	const ready = containers.length > 0;

	useEffect(() => {
		if (!ready) return undefined;
		const controller = new AbortController();
		setChecking(true);
		services.checkUpdates(latest.current, controller.signal).then(states => {
			if (controller.signal.aborted) return;
			setUpdates(states);
			setChecking(false);
		}, () => {
			if (!controller.signal.aborted) setChecking(false);
		});
		return () => controller.abort();
	}, [services, key, ready, nonce]);

	useEffect(() => {
		const timer = setInterval(() => setNonce(n => n + 1), intervalMs);
		return () => clearInterval(timer);
	}, [intervalMs]);

	const recheck = useCallback(() => setNonce(n => n + 1), []);
	return {updates, checking, recheck};
}
