import {Box, Text, useInput} from 'ink';
import {useCallback, useEffect, useState} from 'react';
import type {AuditEntry} from '../../core/audit/audit.js';
import {sanitizeLine} from '../../core/ansi.js';
import {fit} from '../../core/present.js';
import {actionFor} from '../input.js';
import type {ScreenProps} from './types.js';

/** One line for an audit entry: time, kind, outcome, exit, duration, what. Pure. */
export function auditRow(entry: AuditEntry): {time: string; kind: string; outcome: string; exit: string; duration: string; what: string} {
	const what = entry.kind === 'action' ? `${entry.action ?? ''}: ${entry.detail ?? ''}` : entry.command ?? '';
	const firstLine = what.split('\n').map(l => l.trim()).find(l => l && !l.startsWith('command -v')) ?? what.split('\n')[0] ?? '';
	const lines = what.split('\n').length;
	const time = new Date(entry.time);
	return {
		time: Number.isNaN(time.getTime()) ? entry.time : `${time.toLocaleDateString('en-CA')} ${time.toLocaleTimeString('en-GB')}`,
		kind: entry.kind,
		outcome: entry.outcome ?? '-',
		exit: entry.exitCode === undefined || entry.exitCode === null ? '-' : String(entry.exitCode),
		duration: entry.durationMs === undefined ? '-' : entry.durationMs >= 1000 ? `${(entry.durationMs / 1000).toFixed(1)}s` : `${entry.durationMs}ms`,
		what: sanitizeLine(lines > 1 ? `${firstLine} (+${lines - 1} lines)` : firstLine, 400),
	};
}

/** The audit log, newest first: every remote command and every action (secrets were masked when written). */
export function AuditScreen({services, active, width, height, onFocus, onTyping}: ScreenProps) {
	const [entries, setEntries] = useState<AuditEntry[]>([]);
	const [selected, setSelected] = useState(0);
	const [expanded, setExpanded] = useState(false);
	const [actionsOnly, setActionsOnly] = useState(false);
	const load = useCallback(() => setEntries(services.readAudit(1000).reverse()), [services]);

	useEffect(() => {
		load();
		const timer = setInterval(load, 3000);
		return () => clearInterval(timer);
	}, [load]);
	useEffect(() => {
		onFocus({environment: undefined, name: 'audit log'});
		onTyping(false);
	}, [onFocus, onTyping]);

	const rows = actionsOnly ? entries.filter(e => e.kind === 'action') : entries;
	const clamped = Math.min(selected, Math.max(0, rows.length - 1));
	const current = rows[clamped];
	const detail = expanded && current ? sanitizedLines(current) : [];
	const tableHeight = Math.max(3, height - 3 - detail.length);
	const start = Math.max(0, Math.min(clamped - Math.floor(tableHeight / 2), rows.length - tableHeight));

	useInput((input, key) => {
		switch (actionFor(input, key, ['audit', 'global'])) {
			case 'down': setSelected(Math.min(clamped + 1, rows.length - 1)); break;
			case 'up': setSelected(Math.max(clamped - 1, 0)); break;
			case 'top': setSelected(0); break;
			case 'bottom': setSelected(Math.max(0, rows.length - 1)); break;
			case 'expand': setExpanded(e => !e); break;
			case 'actions-only': setActionsOnly(a => !a); setSelected(0); break;
			case 'refresh': load(); break;
			default: break;
		}
	}, {isActive: active});

	const whatWidth = Math.max(10, width - 20 - 7 - 8 - 5 - 8 - 5);
	return (
		<Box flexDirection="column">
			<Text bold>{`${fit('TIME', 20)} ${fit('KIND', 7)} ${fit('OUTCOME', 8)} ${fit('EXIT', 5)} ${fit('TOOK', 8)} WHAT`}</Text>
			{rows.length === 0 ? <Text dimColor>the audit log is empty{services.auditFile ? ` (${services.auditFile})` : ''}</Text> : null}
			{rows.slice(start, start + tableHeight).map((entry, i) => {
				const row = auditRow(entry);
				const color = row.outcome === 'ok' ? undefined : row.outcome === '-' ? undefined : 'red';
				return (
					<Text key={`${start + i}-${entry.time}`} inverse={start + i === clamped} wrap="truncate-end">
						<Text dimColor>{fit(row.time, 20)}</Text>
						{' '}
						<Text {...(entry.kind === 'action' ? {color: 'cyan', bold: true} : {})}>{fit(row.kind, 7)}</Text>
						{' '}
						<Text {...(color ? {color} : {})}>{fit(row.outcome, 8)}</Text>
						{` ${fit(row.exit, 5)} ${fit(row.duration, 8)} ${fit(row.what, whatWidth)}`}
					</Text>
				);
			})}
			{detail.map((line, i) => <Text key={`d${i}`} color="gray" wrap="truncate-end">{`  ${line}`}</Text>)}
			<Text dimColor>{`${rows.length} entries, newest first · Enter full entry · a actions only${actionsOnly ? ' (on)' : ''} · secrets are masked when written`}</Text>
		</Box>
	);
}

function sanitizedLines(entry: AuditEntry): string[] {
	const text = entry.kind === 'action' ? `${entry.action ?? ''}: ${entry.detail ?? ''}` : entry.command ?? '';
	return [`host ${entry.host}`, ...text.split('\n').slice(0, 15).map(l => sanitizeLine(l, 400))];
}
