import {useEffect, useRef, useState} from 'react';
import {LogModel} from '../../core/docker/logs.js';
import {describeError} from '../../core/errors.js';
import type {AppServices} from '../services.js';

export interface LogStreamState {
	model: LogModel;
	/** Bumped by the timer when the buffer changed: the only React state the stream touches. */
	version: number;
	status: 'idle' | 'streaming' | 'ended' | 'error';
	error: string | undefined;
}

/**
 * Stream one container's log into a ring buffer outside React state; re-read it every `refreshMs`.
 * A new container (or unmount) aborts the old stream.
 */
export function useLogStream(services: AppServices, name: string | undefined, options: {tail?: number; refreshMs?: number} = {}): LogStreamState {
	const capacity = services.profile.logs.bufferLines;
	const modelRef = useRef<LogModel>(new LogModel(capacity));
	const [version, setVersion] = useState(0);
	const [status, setStatus] = useState<LogStreamState['status']>('idle');
	const [error, setError] = useState<string | undefined>();
	const tail = options.tail ?? 200;
	const refreshMs = options.refreshMs ?? 80;

	useEffect(() => {
		if (!name) return undefined;
		const model = new LogModel(capacity);
		modelRef.current = model;
		setVersion(v => v + 1);
		setStatus('streaming');
		setError(undefined);
		const controller = new AbortController();
		services.streamLogs(name, {tail, follow: true, timestamps: true}, (line, stderr) => model.push(line, stderr), controller.signal).then(() => {
			if (controller.signal.aborted) return;
			model.ended = true;
			setStatus('ended');
		}, (error_: unknown) => {
			if (controller.signal.aborted) return;
			model.error = describeError(error_).join(' ');
			setError(model.error);
			setStatus('error');
		});
		let seen = -1;
		const timer = setInterval(() => {
			if (model.buffer.total === seen) return;
			seen = model.buffer.total;
			model.buffer.markRead();
			setVersion(v => v + 1);
		}, refreshMs);
		return () => {
			controller.abort();
			clearInterval(timer);
		};
	}, [services, name, capacity, tail, refreshMs]);

	return {model: modelRef.current, version, status, error};
}
