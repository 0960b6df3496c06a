/**
 * A bounded ring buffer for streams (logs, script output), kept outside React state.
 * The producer pushes; the screen re-reads on a timer and calls `markRead()` after each read.
 * When full, the oldest item is overwritten: `evicted` counts every overwrite, `dropped` counts the
 * overwritten items the reader never got to read (the producer outran the screen).
 */
export class RingBuffer<T> {
	readonly capacity: number;
	private readonly items: (T | undefined)[];
	private start = 0;
	private count = 0;
	/** Items ever pushed: also a version number the reader can compare. */
	total = 0;
	evicted = 0;
	dropped = 0;
	/** `total` at the reader's last `markRead()`: items with a sequence number at or above it are unread. */
	private readMark = 0;

	constructor(capacity: number) {
		if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`RingBuffer capacity must be a positive integer, not ${capacity}`);
		this.capacity = capacity;
		this.items = new Array<T | undefined>(capacity);
	}

	get size(): number {
		return this.count;
	}

	/** Sequence number (0-based, counting every push) of the oldest item held. */
	get firstSeq(): number {
		return this.total - this.count;
	}

	push(item: T): void {
		if (this.count < this.capacity) {
			this.items[(this.start + this.count) % this.capacity] = item;
			this.count++;
		} else {
			// Overwrite the oldest, whose sequence number is total - capacity.
			if (this.total - this.capacity >= this.readMark) this.dropped++;
			this.evicted++;
			this.items[this.start] = item;
			this.start = (this.start + 1) % this.capacity;
		}
		this.total++;
	}

	pushAll(items: readonly T[]): void {
		for (const item of items) this.push(item);
	}

	/** Item i, 0 = oldest held. */
	at(index: number): T | undefined {
		if (index < 0 || index >= this.count) return undefined;
		return this.items[(this.start + index) % this.capacity];
	}

	/** Items [from, to) by position (0 = oldest held), like Array.prototype.slice. */
	slice(from = 0, to = this.count): T[] {
		const begin = Math.max(0, Math.min(this.count, from < 0 ? this.count + from : from));
		const end = Math.max(begin, Math.min(this.count, to < 0 ? this.count + to : to));
		const out: T[] = [];
		for (let i = begin; i < end; i++) out.push(this.items[(this.start + i) % this.capacity] as T);
		return out;
	}

	/** The newest n items, oldest first. */
	tail(n: number): T[] {
		return this.slice(Math.max(0, this.count - n));
	}

	toArray(): T[] {
		return this.slice();
	}

	/** The reader has seen everything pushed so far. */
	markRead(): void {
		this.readMark = this.total;
	}

	/** Items pushed since the last markRead (some may already be dropped). */
	get unread(): number {
		return this.total - this.readMark;
	}

	clear(): void {
		this.items.fill(undefined);
		this.start = 0;
		this.count = 0;
		this.total = 0;
		this.evicted = 0;
		this.dropped = 0;
		this.readMark = 0;
	}
}

/**
 * Splits a stream of text chunks into lines. A partial line longer than `maxPartial` is cut and emitted,
 * so a producer that never writes a newline cannot grow memory without bound.
 */
export class LineSplitter {
	private partial = '';

	constructor(private readonly onLine: (line: string) => void, private readonly maxPartial = 64 * 1024) {}

	write(chunk: string): void {
		const text = this.partial + chunk;
		let from = 0;
		let index = text.indexOf('\n');
		while (index !== -1) {
			const end = index > from && text.charCodeAt(index - 1) === 13 ? index - 1 : index;
			this.onLine(text.slice(from, end));
			from = index + 1;
			index = text.indexOf('\n', from);
		}
		while (text.length - from > this.maxPartial) {
			this.onLine(text.slice(from, from + this.maxPartial));
			from += this.maxPartial;
		}
		this.partial = text.slice(from);
	}

	/** Emit what is left without a final newline. */
	flush(): void {
		if (this.partial) this.onLine(this.partial);
		this.partial = '';
	}
}
