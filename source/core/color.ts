/** Minimal ANSI colour for the plain CLI (Ink is not loaded there). Off for NO_COLOR, --no-color, or a non-terminal. */
let enabled = Boolean(process.stdout.isTTY) && !('NO_COLOR' in process.env) && process.env.FORCE_COLOR !== '0';

export function setColor(on: boolean): void {
	enabled = on;
}

export function colorEnabled(): boolean {
	return enabled;
}

const wrap = (open: number, close: number) => (text: string) => (enabled ? `\u001B[${open}m${text}\u001B[${close}m` : text);
export const red = wrap(31, 39);
export const yellow = wrap(33, 39);
export const green = wrap(32, 39);
export const dim = wrap(2, 22);
export const bold = wrap(1, 22);
