import {writeFile} from 'node:fs/promises';
import {sanitizeLine} from '../ansi.js';
import {OpsError} from '../errors.js';
import {sh} from '../quote.js';
import {LineSplitter, RingBuffer} from '../ring-buffer.js';
import type {Transport} from '../transport/types.js';
import {dockerFailure} from './containers.js';

export interface LogOptions {
	tail?: number;
	follow?: boolean;
	timestamps?: boolean;
}

/** `docker logs` for one container, as a script whose every value is quoted; `exec` so a hang-up stops it. */
export function logsScript(name: string, options: LogOptions = {}) {
	const argv = ['logs', ...(options.follow ? ['--follow'] : []), '--tail', String(options.tail ?? 200), ...(options.timestamps === false ? [] : ['--timestamps']), name];
	return sh`command -v docker >/dev/null 2>&1 || { echo 'jutsu-ops: docker: command not found' >&2; exit 127; }
exec docker ${argv}`;
}

export interface LogLine {
	text: string;
	stderr: boolean;
}

/**
 * Stream a container's log into callbacks, line by line (sanitised, long lines cut). Resolves when the stream
 * ends or the signal aborts; throws an OpsError when docker refuses (no such container, no docker).
 */
export async function streamLogs(
	transport: Transport,
	name: string,
	onLine: (line: string, stderr: boolean) => void,
	options: LogOptions & {signal: AbortSignal; maxLineLength?: number},
): Promise<void> {
	const max = options.maxLineLength;
	const out = new LineSplitter(line => onLine(sanitizeLine(line, max), false));
	const err = new LineSplitter(line => onLine(sanitizeLine(line, max), true));
	let errorText = '';
	try {
		const result = await transport.exec(logsScript(name, options), {
			signal: options.signal,
			timeoutMs: options.follow ? 0 : 120_000,
			onStdout: chunk => out.write(chunk),
			onStderr: chunk => {
				if (errorText.length < 4000) errorText += chunk;
				err.write(chunk);
			},
		});
		out.flush();
		err.flush();
		if (result.code !== 0 && result.code !== null && !options.signal.aborted) {
			if (/No such container/iu.test(errorText)) {
				throw new OpsError('usage', `There is no container named ${name} on ${transport.label}.`, {untouched: 'Nothing was changed.', hint: 'See the names with `jutsu-ops status`.'});
			}
			throw dockerFailure(errorText, result.code, transport.label);
		}
	} catch (error) {
		if (options.signal.aborted) return;
		throw error;
	}
}

/**
 * The log pane's model: a bounded ring buffer fed by a stream, read by the screen on a timer.
 * Lines are kept as sanitised strings (`docker logs --timestamps` prefix included); stderr lines are marked.
 */
export class LogModel {
	readonly buffer: RingBuffer<LogLine>;
	ended = false;
	error: string | undefined;

	constructor(capacity: number) {
		this.buffer = new RingBuffer<LogLine>(capacity);
	}

	push(text: string, stderr = false): void {
		this.buffer.push({text, stderr});
	}
}

/** Split `docker logs --timestamps` output into its timestamp and the rest. */
export function splitTimestamp(line: string): {timestamp: string | undefined; text: string} {
	const space = line.indexOf(' ');
	if (space > 19 && space < 40 && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/u.test(line)) {
		return {timestamp: line.slice(0, space), text: line.slice(space + 1)};
	}
	return {timestamp: undefined, text: line};
}

/** Save lines to a local file (mode 600); returns the path. */
export async function saveLines(file: string, lines: readonly string[]): Promise<string> {
	await writeFile(file, lines.length > 0 ? `${lines.join('\n')}\n` : '', {mode: 0o600});
	return file;
}
