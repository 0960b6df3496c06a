/**
 * Neutralise text from a remote program (container logs, script output) before it reaches a terminal:
 * escape sequences and control characters are removed, tabs become spaces, a carriage return keeps only what
 * was drawn last, and very long lines are cut, so the layout and the operator's terminal never break.
 */

// CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), DCS/SOS/PM/APC (ESC P|X|^|_ ... ST), other two-byte ESC
// sequences, and the 8-bit CSI/OSC forms.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)?|\u001B[PX^_][^\u001B]*(?:\u001B\\)?|\u001B[ -/]*[0-~]|\u009B[0-?]*[ -/]*[@-~]|\u009D[^\u0007\u001B\u009C]*(?:\u0007|\u009C)?|\u001B/gu;
// C0 controls except tab, plus DEL and the C1 range.
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0008\u000A-\u001F\u007F-\u009F]/gu;
// eslint-disable-next-line no-control-regex
const NEEDS_WORK = /[\u0000-\u001F\u007F-\u009F]/u;

export const DEFAULT_MAX_LINE = 2000;

export function stripAnsi(text: string): string {
	return text.replace(ESCAPES, '');
}

/** One line, safe to print: no escapes, no controls, no tabs, at most `maxLength` characters (+ a marker). */
export function sanitizeLine(line: string, maxLength = DEFAULT_MAX_LINE): string {
	let text = line;
	if (NEEDS_WORK.test(text)) {
		text = text.replace(ESCAPES, '');
		const cr = text.lastIndexOf('\r');
		if (cr !== -1) {
			// A progress bar redraws with CR: show the last drawing (or the text before a trailing CR).
			const after = text.slice(cr + 1);
			text = after === '' ? text.slice(0, cr) : after;
			const cr2 = text.lastIndexOf('\r');
			if (cr2 !== -1) text = text.slice(cr2 + 1);
		}
		text = text.replaceAll('\t', '    ').replace(CONTROLS, '');
	}
	if (text.length > maxLength) {
		let cut = maxLength;
		// Do not split a surrogate pair.
		const code = text.charCodeAt(cut - 1);
		if (code >= 0xD8_00 && code <= 0xDB_FF) cut--;
		text = `${text.slice(0, cut)}… [+${text.length - cut} chars]`;
	}
	return text;
}
