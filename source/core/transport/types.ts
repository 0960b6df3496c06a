import type {Duplex} from 'node:stream';
import type {RemoteCommand} from '../quote.js';

export interface ExecOptions {
	signal?: AbortSignal;
	/** Milliseconds; 0 means no timeout (still abortable). Defaults to the profile's commandMs. */
	timeoutMs?: number;
	stdin?: string | Buffer;
	/** Allocate a pseudo-terminal, so closing the channel hangs up the remote process. */
	pty?: boolean;
	/** Streamed output; when given, that stream is not accumulated in the result. */
	onStdout?: (chunk: string) => void;
	onStderr?: (chunk: string) => void;
	/** Keep the command out of the audit log (e.g. the latency probe). */
	quiet?: boolean;
}

export interface ExecResult {
	stdout: string;
	stderr: string;
	/** Remote exit code; null when the process died by a signal. */
	code: number | null;
	signal?: string;
	durationMs: number;
}

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed' | 'failed';

export interface Transport {
	/** `user@host:port` or `local`. */
	readonly label: string;
	readonly kind: 'ssh' | 'local';
	readonly state: ConnectionState;
	/** Last measured round trip in ms. */
	readonly latencyMs: number | undefined;
	connect(signal?: AbortSignal): Promise<void>;
	exec(command: RemoteCommand, options?: ExecOptions): Promise<ExecResult>;
	/** Measure a round trip. */
	ping(signal?: AbortSignal): Promise<number>;
	/** A TCP stream to host:port as seen from the remote host (for PostgreSQL and HTTP). */
	forwardOut(host: string, port: number, signal?: AbortSignal): Promise<Duplex>;
	onStateChange(listener: (state: ConnectionState, detail?: string) => void): () => void;
	close(): Promise<void>;
}
