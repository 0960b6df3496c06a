import {describe, expect, it} from 'vitest';
import {sanitizeLine, stripAnsi} from '../../source/core/ansi.js';
import {splitTimestamp} from '../../source/core/docker/logs.js';

describe('sanitizeLine', () => {
	it('removes colour (CSI), OSC titles and hyperlinks, and cursor movement', () => {
		expect(sanitizeLine('\u001B[31mERROR\u001B[0m boom')).toBe('ERROR boom');
		expect(sanitizeLine('\u001B]0;evil title\u0007text')).toBe('text');
		expect(sanitizeLine('\u001B]8;;http://x\u001B\\link\u001B]8;;\u001B\\')).toBe('link');
		expect(sanitizeLine('a\u001B[2J\u001B[Hb\u001B[?1049h')).toBe('ab');
		expect(sanitizeLine('\u009B31mred')).toBe('red');
		expect(stripAnsi('\u001B(Bplain')).toBe('plain');
	});

	it('removes control characters (bell, backspace, NUL), expands tabs, and keeps the last drawing after CR', () => {
		expect(sanitizeLine('a\u0007b\u0008c\u0000d')).toBe('abcd');
		expect(sanitizeLine('k\tv')).toBe('k    v');
		expect(sanitizeLine('10%\r50%\r100% done')).toBe('100% done');
		expect(sanitizeLine('finished\r')).toBe('finished');
		expect(sanitizeLine('a lone escape at the end\u001B')).toBe('a lone escape at the end');
	});

	it('cuts very long lines with a marker and never splits a surrogate pair', () => {
		const line = sanitizeLine('y'.repeat(5000), 100);
		expect(line.startsWith('y'.repeat(100))).toBe(true);
		expect(line).toContain('[+4900 chars]');
		const emoji = sanitizeLine(`${'a'.repeat(9)}😀tail`, 10);
		expect(emoji.startsWith('a'.repeat(9))).toBe(true);
		expect(emoji).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/u);
	});

	it('leaves ordinary text alone', () => {
		expect(sanitizeLine('2026-12-04T10:00:00-0500 INFO heartbeat env=staging')).toBe('2026-12-04T10:00:00-0500 INFO heartbeat env=staging');
	});
});

describe('splitTimestamp', () => {
	it('splits the docker --timestamps prefix', () => {
		expect(splitTimestamp('2026-12-04T15:44:28.123456789Z hello world')).toEqual({timestamp: '2026-12-04T15:44:28.123456789Z', text: 'hello world'});
		expect(splitTimestamp('no timestamp here')).toEqual({timestamp: undefined, text: 'no timestamp here'});
	});
});
