import {Box, Text, useInput} from 'ink';
import Spinner from 'ink-spinner';
import {useEffect, useState} from 'react';
import {summaryLine} from '../../core/safety/runner.js';
import {GROUP_TITLES, SAFETY_GROUPS, type SafetyStatus} from '../../core/safety/types.js';
import {type SafetyRow, useSafety} from '../hooks/useSafety.js';
import {actionFor} from '../input.js';
import type {ScreenProps} from './types.js';

const MARK: Record<SafetyStatus, string> = {pass: '✓', warn: '!', fail: '✗', skip: '–'};
const COLOR: Record<SafetyStatus, string> = {pass: 'green', warn: 'yellow', fail: 'red', skip: 'gray'};
const LABEL: Record<SafetyStatus, string> = {pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP'};

type Line = {kind: 'group'; title: string} | {kind: 'check'; row: SafetyRow; index: number};

function StatusCell({row}: {row: SafetyRow}) {
	const s = row.state;
	if (s.status === 'running') return <Text color="cyan"><Spinner type="dots" /></Text>;
	if (s.status === 'pending') return <Text dimColor>·</Text>;
	return <Text color={COLOR[s.status]}>{MARK[s.status]}</Text>;
}

export function SafetyScreen({services, active, width, height, onFocus, onTyping}: ScreenProps) {
	const safety = useSafety(services);
	const [selected, setSelected] = useState(0);
	const [confirming, setConfirming] = useState(false);
	const rows = SAFETY_GROUPS.flatMap(g => safety.rows.filter(r => r.group === g));
	const clamped = Math.min(selected, Math.max(0, rows.length - 1));
	const current = rows[clamped];

	useEffect(() => {
		onFocus({environment: 'staging', name: services.profile.environments.staging.container});
	}, [onFocus, services]);
	useEffect(() => {
		onTyping(confirming);
	}, [confirming, onTyping]);

	useInput((input, key) => {
		if (confirming) {
			if (input === 'y') safety.run(true);
			setConfirming(false);
			return;
		}
		switch (actionFor(input, key, ['safety', 'global'], services.readOnly)) {
			case 'down': setSelected(Math.min(clamped + 1, rows.length - 1)); break;
			case 'up': setSelected(Math.max(clamped - 1, 0)); break;
			case 'rerun':
			case 'refresh': safety.run(false); break;
			case 'probe-trading': setConfirming(true); break;
			default: break;
		}
	}, {isActive: active});

	const lines: Line[] = [];
	let index = 0;
	for (const group of SAFETY_GROUPS) {
		const inGroup = rows.filter(r => r.group === group);
		if (inGroup.length === 0) continue;
		lines.push({kind: 'group', title: GROUP_TITLES[group]});
		for (const row of inGroup) lines.push({kind: 'check', row, index: index++});
	}
	// Keep the selected check in view: the list gets what the summary and the detail pane leave.
	const listHeight = Math.max(4, height - 6);
	const at = lines.findIndex(l => l.kind === 'check' && l.index === clamped);
	const start = Math.max(0, Math.min(at - Math.floor(listHeight / 2), lines.length - listHeight));
	const visible = lines.slice(start, start + listHeight);
	const done = rows.filter(r => r.state.status !== 'pending' && r.state.status !== 'running').length;
	const report = safety.report;
	const state = current?.state;
	const finished = state && 'detail' in state ? state : undefined;
	const titleWidth = Math.max(20, width - 6);

	return (
		<Box flexDirection="column">
			<Box>
				{safety.running
					? <Text color="cyan"><Spinner type="dots" /> running {rows.length} checks… {done} done</Text>
					: report
						? <Text color={report.summary.fail > 0 ? 'red' : report.summary.warn > 0 ? 'yellow' : 'green'} bold>{report.summary.fail > 0 ? 'FAILED' : 'OK'}: {summaryLine(report.summary)} ({(report.durationMs / 1000).toFixed(1)} s)</Text>
						: <Text dimColor>not run yet</Text>}
			</Box>
			{safety.error ? <Text color="red" wrap="wrap">{safety.error}</Text> : null}
			{visible.map(line => (line.kind === 'group'
				? <Text key={`g-${line.title}`} bold underline>{line.title}</Text>
				: (
					<Box key={line.row.id}>
						<Text inverse={line.index === clamped}>{line.index === clamped ? '› ' : '  '}</Text>
						<StatusCell row={line.row} />
						<Text inverse={line.index === clamped} wrap="truncate-end"> {line.row.title.slice(0, titleWidth)}</Text>
					</Box>
				)))}
			<Box flexDirection="column" marginTop={1}>
				{current && finished
					? (
						<>
							<Text><Text color={COLOR[finished.status]} bold>{LABEL[finished.status]}</Text> <Text bold>{current.title}</Text> <Text dimColor>({current.id})</Text></Text>
							<Text wrap="wrap">{finished.detail}</Text>
							{finished.remedy && finished.status !== 'pass' ? <Text color="cyan" wrap="wrap">→ {finished.remedy}</Text> : null}
						</>
					)
					: <Text dimColor>{current ? `${current.title}: ${state?.status === 'running' ? 'running…' : 'waiting…'}` : ''}</Text>}
				{confirming
					? <Text color="yellow" bold>Send POST {services.profile.app.tradingStartPath} to staging (:{services.profile.environments.staging.apiPort})? It must be refused. y to send, any other key cancels.</Text>
					: <Text dimColor>j/k select · r re-run{services.readOnly ? '' : ' · T re-run with the live-trading refusal probe'}</Text>}
			</Box>
		</Box>
	);
}
