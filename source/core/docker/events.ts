import {sh} from '../quote.js';
import type {Transport} from '../transport/types.js';

/**
 * Follow `docker events` for containers over the one connection; calls onChange (debounced by the caller)
 * for each event. Resolves when the stream ends or the signal aborts.
 */
export async function watchContainerEvents(transport: Transport, onChange: (action: string) => void, signal: AbortSignal): Promise<void> {
	let buffer = '';
	await transport.exec(sh`exec docker events --filter type=container --format '{{.Action}}'`, {
		signal,
		timeoutMs: 0,
		quiet: true,
		onStdout: chunk => {
			buffer += chunk;
			const lines = buffer.split('\n');
			buffer = lines.pop() ?? '';
			for (const line of lines) {
				const action = line.trim();
				// exec_* events are the tool's own health probes and docker exec calls: not a state change.
				if (action && !action.startsWith('exec_')) onChange(action);
			}
		},
	}).catch(() => undefined);
}
