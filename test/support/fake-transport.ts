import {OpsError} from '../../source/core/errors.js';
import {toShell, type RemoteCommand} from '../../source/core/quote.js';
import type {ConnectionState, ExecOptions, ExecResult, Transport} from '../../source/core/transport/types.js';

export const reply = (stdout: string, code = 0, stderr = ''): ExecResult => ({stdout, stderr, code, durationMs: 1});

/**
 * A host for unit tests: every command's text is recorded in `commands` and answered by `answer`.
 * `down` makes connecting and every command fail as an unreachable host does.
 */
export function fakeTransport(label: string, answer: (text: string) => ExecResult, options: {down?: boolean; leaseHolder?: string} = {}): {transport: Transport; commands: string[]} {
	const commands: string[] = [];
	let state: ConnectionState = options.down ? 'idle' : 'connected';
	const transport = {
		label, kind: 'ssh', latencyMs: 1,
		get state() {
			return state;
		},
		async connect() {
			if (options.down) {
				state = 'failed';
				throw new OpsError('connection', `No SSH answer from ${label}.`);
			}
			state = 'connected';
		},
		ping: async () => 1,
		forwardOut: async () => {
			throw new Error('no tunnels in unit tests');
		},
		onStateChange: () => () => undefined,
		close: async () => undefined,
		async exec(command: RemoteCommand, execOptions?: ExecOptions) {
			const text = toShell(command);
			commands.push(text);
			if (options.down) throw new OpsError('connection', `No SSH answer from ${label}.`);
			// the change lease (core/docker/lease.ts): free, or held by `leaseHolder`
			const result = text.includes('flock -n 9')
				? (options.leaseHolder ? reply(`lease=busy\r\n${options.leaseHolder}\r\n`, 75) : reply('lease=held\r\n'))
				: answer(text);
			if (execOptions?.onStdout) {
				if (result.stdout) execOptions.onStdout(result.stdout);
				return {...result, stdout: ''};
			}
			return result;
		},
	};
	return {transport: transport as unknown as Transport, commands};
}
