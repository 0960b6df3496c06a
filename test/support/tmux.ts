import {execFileSync} from 'node:child_process';

/**
 * The built binary in a real terminal: a detached tmux session, read with capture-pane, driven with send-keys.
 * Every captured frame goes to `captured` (when given) so a test can check none holds a secret.
 */
export class TmuxConsole {
	constructor(readonly session: string, private readonly captured?: string[]) {}

	start(command: string, options: {width?: number; height?: number; env?: Record<string, string>} = {}): void {
		const env = Object.entries(options.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
		execFileSync('tmux', ['new-session', '-d', '-s', this.session, '-x', String(options.width ?? 120), '-y', String(options.height ?? 30), ...env, command]);
	}

	capture(): string {
		const text = execFileSync('tmux', ['capture-pane', '-p', '-t', this.session], {encoding: 'utf8'});
		this.captured?.push(text);
		return text;
	}

	/** Wait until the screen matches; the last frame is in the error otherwise. */
	async screen(match: RegExp, timeoutMs = 20_000): Promise<string> {
		const until = Date.now() + timeoutMs;
		let text = '';
		while (Date.now() < until) {
			text = this.capture();
			if (match.test(text)) return text;
			await new Promise(resolve => setTimeout(resolve, 200));
		}
		throw new Error(`screen never matched ${match}:\n${text}`);
	}

	/**
	 * Keys, as a person types them: a screen that has just drawn may not be listening yet (Ink attaches input
	 * handlers after the frame), so let it settle first.
	 */
	keys(...keys: string[]): void {
		Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
		execFileSync('tmux', ['send-keys', '-t', this.session, ...keys]);
	}

	kill(): void {
		try {
			execFileSync('tmux', ['kill-session', '-t', this.session], {stdio: 'ignore'});
		} catch {
			// already gone
		}
	}
}
