import {connect} from 'node:net';
import type {Duplex} from 'node:stream';
import type {AuditLog} from '../audit/audit.js';
import {OpsError} from '../errors.js';
import {type RemoteCommand, toShell} from '../quote.js';
import type {ConnectionState, ExecOptions, ExecResult, Transport} from './types.js';

/** Runs commands on this machine with bash (for `--host local`, when the tool runs on the host itself). */
export class LocalTransport implements Transport {
	readonly kind = 'local' as const;
	readonly label = 'local';
	readonly state: ConnectionState = 'connected';
	latencyMs: number | undefined = 0;

	constructor(private readonly options: {commandTimeoutMs: number; audit?: AuditLog | undefined}) {}

	async connect(): Promise<void> {}

	async exec(command: RemoteCommand, options: ExecOptions = {}): Promise<ExecResult> {
		const text = toShell(command);
		const timeoutMs = options.timeoutMs ?? this.options.commandTimeoutMs;
		const started = Date.now();
		// Loaded on demand: only `--host local` needs it, and it costs start-up time for everyone else.
		const {execa} = await import('execa');
		const child = execa('bash', ['-c', text], {
			reject: false,
			...(options.signal ? {cancelSignal: options.signal} : {}),
			...(timeoutMs > 0 ? {timeout: timeoutMs} : {}),
			...(options.stdin === undefined ? {stdin: 'ignore' as const} : {input: options.stdin}),
			stripFinalNewline: false,
			encoding: 'utf8',
			buffer: !(options.onStdout || options.onStderr),
		});
		if (options.onStdout) child.stdout?.on('data', (b: Buffer) => options.onStdout!(b.toString('utf8')));
		if (options.onStderr) child.stderr?.on('data', (b: Buffer) => options.onStderr!(b.toString('utf8')));
		const result = await child;
		const durationMs = Date.now() - started;
		const outcome = result.isCanceled ? 'aborted' : result.timedOut ? 'timeout' : result.exitCode === 0 ? 'ok' : 'failed';
		if (!options.quiet) this.options.audit?.record({kind: 'command', host: 'local', command: text, exitCode: result.exitCode ?? null, durationMs, outcome});
		if (result.isCanceled) throw new OpsError('aborted', 'Cancelled.', {hint: 'The local command was stopped.'});
		if (result.timedOut) throw new OpsError('timeout', `A local command did not finish within ${Math.round(timeoutMs / 1000)} s; it was stopped.`);
		const out: ExecResult = {
			stdout: typeof result.stdout === 'string' ? result.stdout : '',
			stderr: typeof result.stderr === 'string' ? result.stderr : '',
			code: result.exitCode ?? null,
			durationMs,
		};
		if (result.signal) out.signal = result.signal;
		return out;
	}

	async ping(): Promise<number> {
		return 0;
	}

	async forwardOut(host: string, port: number): Promise<Duplex> {
		return new Promise((resolve, reject) => {
			const socket = connect({host, port}, () => resolve(socket));
			socket.once('error', reject);
		});
	}

	onStateChange(): () => void {
		return () => undefined;
	}

	async close(): Promise<void> {}
}
