/**
 * The one helper that quotes arguments for a remote POSIX shell.
 * Every value that reaches a remote shell goes through `shellQuote` (directly or via `shellJoin`/`sh`).
 */

const SAFE = /^[\w@%+=:,./-]+$/u;

export function shellQuote(value: string | number): string {
	const text = String(value);
	if (text.includes('\0')) throw new TypeError('A shell argument cannot contain a NUL byte');
	if (text !== '' && SAFE.test(text)) return text;
	return `'${text.replaceAll("'", `'\\''`)}'`;
}

export function shellJoin(argv: readonly (string | number)[]): string {
	return argv.map(v => shellQuote(v)).join(' ');
}

/** A shell script whose interpolated values were all quoted. Only `sh` and `raw` make one. */
export class ShellScript {
	readonly text: string;
	private constructor(text: string) {
		this.text = text;
	}

	static fromQuoted(text: string): ShellScript {
		return new ShellScript(text);
	}

	toString(): string {
		return this.text;
	}
}

type Interpolation = string | number | readonly (string | number)[] | ShellScript;

/**
 * Tagged template: literal parts are trusted shell text written in this codebase;
 * every interpolation is quoted (arrays become several quoted words, ShellScripts are embedded as they are).
 */
export function sh(strings: TemplateStringsArray, ...values: Interpolation[]): ShellScript {
	let out = strings[0] ?? '';
	values.forEach((value, i) => {
		if (value instanceof ShellScript) out += value.text;
		else if (Array.isArray(value)) out += shellJoin(value as readonly (string | number)[]);
		else out += shellQuote(value as string | number);
		out += strings[i + 1] ?? '';
	});
	return ShellScript.fromQuoted(out);
}

/** A command given either as argv (each word quoted) or as a script built with `sh`. */
export type RemoteCommand = readonly (string | number)[] | ShellScript;

export function toShell(command: RemoteCommand): string {
	return command instanceof ShellScript ? command.text : shellJoin(command as readonly (string | number)[]);
}
