/**
 * An error meant for a person: what happened, what was not touched, what to do.
 * `exitCode` follows the CLI contract: 1 a failure, 2 usage/config/connection.
 */
export class OpsError extends Error {
	readonly exitCode: number;
	readonly untouched: string | undefined;
	readonly hint: string | undefined;
	readonly kind: OpsErrorKind;

	constructor(
		kind: OpsErrorKind,
		message: string,
		options: {hint?: string; untouched?: string; exitCode?: number; cause?: unknown} = {},
	) {
		super(message, {cause: options.cause});
		this.name = 'OpsError';
		this.kind = kind;
		this.hint = options.hint;
		this.untouched = options.untouched;
		this.exitCode = options.exitCode ?? (kind === 'failure' ? 1 : 2);
	}

	/** One or two lines for a terminal. */
	toLines(): string[] {
		const first = this.untouched ? `${this.message} ${this.untouched}` : this.message;
		return this.hint ? [first, this.hint] : [first];
	}
}

export type OpsErrorKind =
	| 'config'
	| 'usage'
	| 'connection'
	| 'auth'
	| 'host-key'
	| 'timeout'
	| 'aborted'
	| 'missing-tool'
	| 'remote'
	| 'failure';

export function isOpsError(error: unknown): error is OpsError {
	return error instanceof OpsError;
}

/** Turn anything thrown into lines a person can read: never a stack trace. */
export function describeError(error: unknown): string[] {
	if (isOpsError(error)) return error.toLines();
	if (error instanceof Error) return [`Unexpected error: ${error.message.split('\n')[0]}`, 'Nothing further was changed. Re-run with JUTSU_OPS_DEBUG=1 for details.'];
	return [`Unexpected error: ${String(error)}`];
}
