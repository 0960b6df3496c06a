import {describe, expect, it} from 'vitest';
import {LineSplitter, RingBuffer} from '../../source/core/ring-buffer.js';

describe('RingBuffer', () => {
	it('keeps at most capacity items, oldest first, and counts evictions', () => {
		const buffer = new RingBuffer<number>(3);
		for (let i = 0; i < 5; i++) buffer.push(i);
		expect(buffer.size).toBe(3);
		expect(buffer.toArray()).toEqual([2, 3, 4]);
		expect(buffer.total).toBe(5);
		expect(buffer.evicted).toBe(2);
		expect(buffer.firstSeq).toBe(2);
		expect(buffer.at(0)).toBe(2);
		expect(buffer.at(3)).toBeUndefined();
		expect(buffer.tail(2)).toEqual([3, 4]);
		expect(buffer.slice(1, 2)).toEqual([3]);
		expect(buffer.slice(-1)).toEqual([4]);
	});

	it('counts as dropped only the items overwritten before the reader read them', () => {
		const buffer = new RingBuffer<number>(4);
		buffer.pushAll([0, 1, 2, 3]);
		buffer.markRead();
		buffer.pushAll([4, 5]); // evicts 0 and 1, which were read
		expect(buffer.evicted).toBe(2);
		expect(buffer.dropped).toBe(0);
		buffer.pushAll([6, 7, 8, 9, 10, 11]); // evicts 2,3 (read) and 4,5,6,7 (never read)
		expect(buffer.evicted).toBe(8);
		expect(buffer.dropped).toBe(4);
		expect(buffer.toArray()).toEqual([8, 9, 10, 11]);
	});

	it('stays bounded under a million pushes', () => {
		const buffer = new RingBuffer<string>(5000);
		for (let i = 0; i < 1_000_000; i++) buffer.push(`line ${i}`);
		expect(buffer.size).toBe(5000);
		expect(buffer.at(4999)).toBe('line 999999');
		expect(buffer.dropped).toBe(995_000);
		buffer.clear();
		expect(buffer.size).toBe(0);
		expect(buffer.total).toBe(0);
	});

	it('rejects a capacity that is not a positive integer', () => {
		expect(() => new RingBuffer(0)).toThrow(RangeError);
	});
});

describe('LineSplitter', () => {
	it('joins chunks into lines, drops CR of CRLF, and flushes the rest', () => {
		const lines: string[] = [];
		const splitter = new LineSplitter(line => lines.push(line));
		splitter.write('a\r\nb');
		splitter.write('c\n\nd');
		expect(lines).toEqual(['a', 'bc', '']);
		splitter.flush();
		expect(lines).toEqual(['a', 'bc', '', 'd']);
	});

	it('cuts a partial line that never ends, so memory stays bounded', () => {
		const lines: string[] = [];
		const splitter = new LineSplitter(line => lines.push(line), 10);
		splitter.write('x'.repeat(25));
		expect(lines).toEqual(['x'.repeat(10), 'x'.repeat(10)]);
		splitter.write('\n');
		expect(lines.at(-1)).toBe('xxxxx');
	});
});
