import {describe, expect, it} from 'vitest';
import type {LogLine} from '../../source/core/docker/logs.js';
import {RingBuffer} from '../../source/core/ring-buffer.js';
import {countMatches, findMatch, visibleWindow} from '../../source/ui/components/LogView.js';

function buffer(lines: string[], capacity = 100) {
	const b = new RingBuffer<LogLine>(capacity);
	for (const text of lines) b.push({text, stderr: false});
	return b;
}

describe('visibleWindow', () => {
	const b = buffer(Array.from({length: 50}, (_, i) => `line ${i}`), 20); // holds 30..49
	const base = {rows: 5, width: 40, wrap: false, timestamps: true};

	it('follows the newest lines, and copies only what fits', () => {
		const view = visibleWindow(b, {...base, follow: true, anchor: 0});
		expect(view.lines.map(l => l.line.text)).toEqual(['line 45', 'line 46', 'line 47', 'line 48', 'line 49']);
		expect(view.bottom).toBe(49);
	});

	it('stays on its anchor when paused, clamped to what the buffer still holds', () => {
		expect(visibleWindow(b, {...base, follow: false, anchor: 40}).lines.at(-1)!.seq).toBe(40);
		expect(visibleWindow(b, {...base, follow: false, anchor: 3}).lines.map(l => l.seq)).toEqual([30]);
	});

	it('counts wrapped rows, so a long line takes several', () => {
		const long = buffer(['short', 'x'.repeat(100), 'end']);
		const view = visibleWindow(long, {...base, rows: 4, follow: true, anchor: 0, wrap: true, width: 40});
		expect(view.lines.map(l => l.line.text.length)).toEqual([100, 3]);
	});
});

describe('search', () => {
	const b = buffer(['a ERROR one', 'b', 'c error two', 'd']);
	it('finds older and newer matches case-insensitively, and counts them', () => {
		expect(findMatch(b, 'error', 4, -1)).toBe(2);
		expect(findMatch(b, 'error', 2, -1)).toBe(0);
		expect(findMatch(b, 'error', 0, -1)).toBeUndefined();
		expect(findMatch(b, 'error', 0, 1)).toBe(2);
		expect(countMatches(b, 'ERROR')).toBe(2);
		expect(findMatch(b, '', 4, -1)).toBeUndefined();
	});
});
