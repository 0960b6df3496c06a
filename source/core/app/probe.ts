import {sh} from '../quote.js';
import type {Transport} from '../transport/types.js';

export interface HttpProbe {
	/** HTTP status, or undefined when nothing answered. */
	status: number | undefined;
	body: string;
	/** Why nothing answered (connection refused, timeout), in words. */
	error?: string;
	durationMs: number;
}

/**
 * An HTTP request made ON the host (curl, which Unraid has) to 127.0.0.1:port, so it tests what the host's
 * port mapping serves whatever the laptop can reach.
 */
export async function httpOnHost(
	transport: Transport,
	port: number,
	path: string,
	options: {signal?: AbortSignal; method?: 'GET' | 'POST'; timeoutSeconds?: number} = {},
): Promise<HttpProbe> {
	const url = `http://127.0.0.1:${port}${path}`;
	const seconds = options.timeoutSeconds ?? 5;
	const method = options.method ?? 'GET';
	const script = sh`command -v curl >/dev/null 2>&1 || { echo 'jutsu-ops: curl: command not found' >&2; exit 127; }
curl -sS -X ${method} --max-time ${seconds} -o - -w ${'\n%{http_code}'} ${url}`;
	const result = await transport.exec(script, {signal: options.signal, timeoutMs: (seconds + 10) * 1000});
	const cut = result.stdout.lastIndexOf('\n');
	const code = Number(result.stdout.slice(cut + 1).trim());
	const body = cut === -1 ? '' : result.stdout.slice(0, cut);
	if (result.code === 127) return {status: undefined, body: '', error: 'curl is not installed on the host', durationMs: result.durationMs};
	if (result.code !== 0 || !code) {
		const error = result.stderr.trim().split('\n')[0]?.replace(/^curl: \(\d+\) /u, '') || `curl exit ${result.code}`;
		return {status: undefined, body, error, durationMs: result.durationMs};
	}
	return {status: code, body, durationMs: result.durationMs};
}

/** Parse a JSON body, or undefined. */
export function jsonBody<T>(probe: HttpProbe): T | undefined {
	try {
		return JSON.parse(probe.body) as T;
	} catch {
		return undefined;
	}
}
