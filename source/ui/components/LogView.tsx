import {Box, Text, useInput} from 'ink';
import {useEffect, useState} from 'react';
import {type LogLine, splitTimestamp} from '../../core/docker/logs.js';
import type {RingBuffer} from '../../core/ring-buffer.js';
import {actionFor, splitKeys} from '../input.js';

export interface VisibleLine {
	seq: number;
	line: LogLine;
}

function shownText(line: LogLine, timestamps: boolean): string {
	if (timestamps) return line.text;
	return splitTimestamp(line.text).text;
}

/**
 * The lines that fit in `rows` rows, ending at the newest line (follow) or at `anchor` (a sequence number).
 * In wrap mode a line takes ceil(length / width) rows. Pure: reads the buffer, copies only what is shown.
 */
export function visibleWindow(
	buffer: RingBuffer<LogLine>,
	options: {follow: boolean; anchor: number; rows: number; width: number; wrap: boolean; timestamps: boolean},
): {lines: VisibleLine[]; bottom: number} {
	const first = buffer.firstSeq;
	const last = buffer.total - 1;
	if (buffer.size === 0) return {lines: [], bottom: -1};
	const bottom = options.follow ? last : Math.max(first, Math.min(last, options.anchor));
	const lines: VisibleLine[] = [];
	let used = 0;
	for (let seq = bottom; seq >= first && used < options.rows; seq--) {
		const line = buffer.at(seq - first)!;
		const need = options.wrap ? Math.max(1, Math.ceil(shownText(line, options.timestamps).length / Math.max(1, options.width))) : 1;
		if (used + need > options.rows && lines.length > 0) break;
		lines.push({seq, line});
		used += need;
	}
	lines.reverse();
	return {lines, bottom};
}

/** The sequence number of the nearest line containing `needle`, older (direction -1) or newer (+1) than `from`. */
export function findMatch(buffer: RingBuffer<LogLine>, needle: string, from: number, direction: 1 | -1): number | undefined {
	if (!needle) return undefined;
	const lower = needle.toLowerCase();
	const first = buffer.firstSeq;
	for (let seq = from + direction; seq >= first && seq < buffer.total; seq += direction) {
		if (buffer.at(seq - first)!.text.toLowerCase().includes(lower)) return seq;
	}
	return undefined;
}

export function countMatches(buffer: RingBuffer<LogLine>, needle: string): number {
	if (!needle) return 0;
	const lower = needle.toLowerCase();
	let n = 0;
	for (let i = 0; i < buffer.size; i++) if (buffer.at(i)!.text.toLowerCase().includes(lower)) n++;
	return n;
}

function Highlighted({text, needle}: {text: string; needle: string}) {
	if (!needle) return <Text>{text}</Text>;
	const lower = text.toLowerCase();
	const target = needle.toLowerCase();
	const parts: {text: string; hit: boolean}[] = [];
	let from = 0;
	let index = lower.indexOf(target);
	while (index !== -1) {
		if (index > from) parts.push({text: text.slice(from, index), hit: false});
		parts.push({text: text.slice(index, index + target.length), hit: true});
		from = index + target.length;
		index = lower.indexOf(target, from);
	}
	if (from < text.length) parts.push({text: text.slice(from), hit: false});
	return <>{parts.map((p, i) => (p.hit ? <Text key={i} backgroundColor="yellow" color="black">{p.text}</Text> : <Text key={i}>{p.text}</Text>))}</>;
}

export interface LogViewProps {
	name: string;
	buffer: RingBuffer<LogLine>;
	/** Changes when the buffer was re-read (the timer): the view re-renders only then or on keys. */
	version: number;
	status: string;
	error?: string | undefined;
	width: number;
	height: number;
	active: boolean;
	onTyping: (typing: boolean) => void;
	onSave: (lines: string[]) => Promise<string>;
}

export function LogView({name, buffer, status, error, width, height, active, onTyping, onSave}: LogViewProps) {
	const [follow, setFollow] = useState(true);
	const [anchor, setAnchor] = useState(0);
	const [wrap, setWrap] = useState(false);
	const [timestamps, setTimestamps] = useState(true);
	const [editing, setEditing] = useState(false);
	const [draft, setDraft] = useState('');
	const [needle, setNeedle] = useState('');
	const [match, setMatch] = useState<number | undefined>();
	const [message, setMessage] = useState<string | undefined>();
	const rows = Math.max(3, height - 2);

	useEffect(() => onTyping(editing), [editing, onTyping]);
	useEffect(() => {
		// A new container: start over, following.
		setFollow(true);
		setMatch(undefined);
		setMessage(undefined);
	}, [name]);

	const view = visibleWindow(buffer, {follow, anchor, rows, width, wrap, timestamps});
	const bottom = view.bottom;

	const pauseAt = (seq: number) => {
		setFollow(false);
		setAnchor(seq);
	};
	const jumpTo = (seq: number | undefined, what: string) => {
		if (seq === undefined) {
			setMessage(`no ${what} match for "${needle}"`);
			return;
		}
		setMatch(seq);
		setMessage(undefined);
		pauseAt(Math.min(buffer.total - 1, seq + Math.floor(rows / 2)));
	};

	useInput((input, key) => {
		if (editing) {
			const action = actionFor(input, key, ['search']);
			if (action === 'apply-search') {
				setEditing(false);
				setNeedle(draft);
				const found = findMatch(buffer, draft, bottom + 1, -1);
				if (found === undefined) setMessage(draft ? `no match for "${draft}"` : undefined);
				else {
					setMatch(found);
					setMessage(undefined);
					pauseAt(Math.min(buffer.total - 1, found + Math.floor(rows / 2)));
				}
			} else if (action === 'cancel-search') {
				setEditing(false);
				setDraft('');
			} else if (key.backspace || key.delete) setDraft(d => d.slice(0, -1));
			else if (input && !key.ctrl && !key.meta) setDraft(d => (d + input).slice(0, 200));
			return;
		}
		const keys = splitKeys(input, key);
		for (let i = 0; i < keys.length; i++) {
			const [char, k] = keys[i]!;
			if (actionFor(char, k, ['logs']) === 'search') {
				// Text typed right after / in the same chunk belongs to the search.
				setDraft(keys.slice(i + 1).map(([c]) => c).join(''));
				setEditing(true);
				return;
			}
			handleKey(char, k);
		}
	}, {isActive: active});

	function handleKey(input: string, key: Parameters<typeof actionFor>[1]) {
		switch (actionFor(input, key, ['logs'])) {
			case 'follow':
				if (follow) pauseAt(bottom);
				else setFollow(true);
				break;
			case 'line-up': pauseAt(Math.max(buffer.firstSeq, bottom - 1)); break;
			case 'line-down': {
				const next = bottom + 1;
				if (next >= buffer.total - 1) setFollow(true);
				else pauseAt(next);
				break;
			}
			case 'page-up': pauseAt(Math.max(buffer.firstSeq, bottom - rows)); break;
			case 'page-down': {
				const next = bottom + rows;
				if (next >= buffer.total - 1) setFollow(true);
				else pauseAt(next);
				break;
			}
			case 'oldest': pauseAt(buffer.firstSeq + rows - 1); break;
			case 'newest': setFollow(true); break;
			case 'clear-search':
				setNeedle('');
				setMatch(undefined);
				setMessage(undefined);
				break;
			case 'next-match': jumpTo(findMatch(buffer, needle, match ?? bottom + 1, -1), 'older'); break;
			case 'prev-match': jumpTo(findMatch(buffer, needle, match ?? bottom, 1), 'newer'); break;
			case 'wrap': setWrap(w => !w); break;
			case 'timestamps': setTimestamps(t => !t); break;
			case 'save': {
				const lines = buffer.toArray().map(l => l.text);
				setMessage('saving…');
				onSave(lines).then(file => setMessage(`saved ${lines.length} lines to ${file}`), (error_: unknown) => setMessage(`could not save: ${(error_ as Error).message}`));
				break;
			}
			default: break;
		}
	}

	const matches = needle ? countMatches(buffer, needle) : 0;
	const state = status === 'streaming' ? (follow ? 'FOLLOW' : 'PAUSED') : status === 'ended' ? 'ENDED' : status === 'error' ? 'ERROR' : '…';
	return (
		<Box flexDirection="column" width={width}>
			<Text wrap="truncate-end">
				<Text bold>{name}</Text>
				<Text color={state === 'FOLLOW' ? 'green' : state === 'PAUSED' ? 'yellow' : 'red'}>{` ${state}`}</Text>
				<Text dimColor>{` · ${buffer.size}/${buffer.capacity} lines`}</Text>
				<Text {...(buffer.dropped > 0 ? {color: 'yellow'} : {dimColor: true})}>{` · dropped ${buffer.dropped}`}</Text>
				<Text dimColor>{` · wrap ${wrap ? 'on' : 'off'} · timestamps ${timestamps ? 'on' : 'off'}`}</Text>
				{needle ? <Text color="cyan">{` · /${needle} (${matches} match${matches === 1 ? '' : 'es'})`}</Text> : null}
			</Text>
			<Box flexDirection="column" height={rows} overflowY="hidden">
				{view.lines.length === 0 ? <Text dimColor>{status === 'streaming' ? 'waiting for log lines…' : 'no log lines'}</Text> : null}
				{view.lines.map(({seq, line}) => {
					const {timestamp, text} = splitTimestamp(line.text);
					const current = seq === match;
					return (
						<Text key={seq} wrap={wrap ? 'wrap' : 'truncate-end'} {...(line.stderr ? {color: 'red'} : {})} inverse={current}>
							{timestamps && timestamp ? <Text dimColor>{`${timestamp} `}</Text> : null}
							<Highlighted text={timestamp ? text : line.text} needle={needle} />
						</Text>
					);
				})}
			</Box>
			{editing ? <Text>/<Text color="cyan">{draft}</Text><Text inverse> </Text><Text dimColor>  Enter search · Esc cancel</Text></Text>
				: error ? <Text color="red" wrap="truncate-end">{error}</Text>
				: <Text dimColor wrap="truncate-end">{message ?? 'f follow/pause · j/k PgUp/PgDn scroll · / search n/N · w wrap · t timestamps · s save · Tab next container'}</Text>}
		</Box>
	);
}
