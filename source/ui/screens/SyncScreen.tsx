import {Box, Text, useInput} from 'ink';
import Spinner from 'ink-spinner';
import {useEffect, useState} from 'react';
import {formatInZone} from '../../core/time.js';
import {useSync} from '../hooks/useSync.js';
import {actionFor} from '../input.js';
import type {ScreenProps} from './types.js';

type View = 'output' | 'history' | 'checks';

const seconds = (ms: number | undefined) => ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`;
const STATUS_COLOR: Record<string, string> = {ok: 'green', warn: 'yellow', fail: 'red', skip: 'gray'};
const STATUS_MARK: Record<string, string> = {ok: '✓', warn: '!', fail: '✗', skip: '–'};

export function SyncScreen({services, active, width, height, onFocus}: ScreenProps) {
	const sync = useSync(services);
	const {watch} = sync;
	const [view, setView] = useState<View>('output');
	const [scroll, setScroll] = useState(0);
	const zone = services.profile.sync.timezone;
	const localZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

	useEffect(() => {
		onFocus({environment: 'staging', name: services.profile.environments.staging.database});
	}, [onFocus, services]);

	useInput((input, key) => {
		switch (actionFor(input, key, ['sync', 'global'], services.readOnly)) {
			case 'run': setView('output'); setScroll(0); sync.start('run'); break;
			case 'reattach': setView('output'); setScroll(0); sync.start('run', {reattach: true}); break;
			case 'attach': setView('output'); setScroll(0); sync.start('attach'); break;
			case 'stop': sync.stop(); break;
			case 'preflight': setView('checks'); sync.start('preflight'); break;
			case 'verify': setView('checks'); sync.start('verify'); break;
			case 'history': setView(view === 'history' ? 'output' : 'history'); break;
			case 'up': setScroll(s => s + 1); break;
			case 'down': setScroll(s => Math.max(0, s - 1)); break;
			case 'refresh': sync.refresh(); break;
			default: break;
		}
	}, {isActive: active});

	const s = sync.schedule;
	const scheduleLine = !s ? 'schedule: reading…'
		: s.source === 'none' ? 'schedule: none found (jutsu-ops sync install-safe-script --schedule --yes)'
			: `schedule: ${s.source} "${s.expression}" (cron zone ${s.cronTimeZone})${s.twoAm.ok ? '' : ' — NOT 2 AM ' + zone}${s.survivesReboot ? '' : ' — lost at reboot'}`;
	const nextLine = s?.nextRun ? `next run ${formatInZone(s.nextRun, zone)} · ${formatInZone(s.nextRun, localZone)} here` : '';
	const running = sync.task !== 'none';
	const phase = watch.phase;
	const end = watch.end;
	const bodyHeight = Math.max(3, height - 9);

	const stepRows = watch.tables.map(t => (
		<Box key={t.table}>
			<Box width={3}>
				{t.state === 'running' ? <Text color="cyan"><Spinner type="dots" /></Text>
					: t.state === 'done' ? <Text color="green">✓</Text>
						: t.state === 'failed' ? <Text color="red">✗</Text> : <Text dimColor>·</Text>}
			</Box>
			<Text>{t.table}</Text>
			<Text dimColor>{t.rows === undefined ? '' : `  ${t.rows} rows`}</Text>
		</Box>
	));
	const done = watch.tables.filter(t => t.state === 'done').length;

	let body: React.ReactNode;
	if (view === 'history') {
		const rows = (sync.history ?? []).slice(scroll, scroll + bodyHeight);
		body = (
			<Box flexDirection="column">
				<Text bold>{`started (${zone})`}  status     duration  tables / rows</Text>
				{sync.history === undefined ? <Text dimColor>reading the sync log…</Text> : null}
				{sync.history?.length === 0 ? <Text dimColor>no runs in the sync log</Text> : null}
				{rows.map(h => (
					<Text key={h.startedAt} wrap="wrap">
						{formatInZone(h.startedAt, zone)}{'  '}
						<Text color={h.status === 'success' ? 'green' : h.status === 'failed' ? 'red' : 'yellow'}>{h.status.padEnd(10)}</Text>
						{seconds(h.durationMs).padStart(8)}{'  '}
						{h.tables.map(t => `${t.table}${t.rows === undefined ? '' : `=${t.rows}`}`).join(' ')}
						{h.error ? <Text dimColor>{'  ' + h.error}</Text> : null}
					</Text>
				))}
			</Box>
		);
	} else if (view === 'checks') {
		body = (
			<Box flexDirection="column">
				<Text bold>Preflight{sync.task === 'preflight' ? '…' : ''}</Text>
				{(sync.checks ?? []).map(c => (
					<Text key={c.id} wrap="wrap">
						<Text color={STATUS_COLOR[c.status]}>{STATUS_MARK[c.status]}</Text> {c.title}: <Text dimColor>{c.detail}</Text>
					</Text>
				))}
				{sync.verify || sync.task === 'verify' ? <Text bold>Verify{sync.task === 'verify' ? '…' : ''}</Text> : null}
				{sync.verify?.synced.map(v => (
					<Text key={v.table}>
						<Text color={v.equal ? 'green' : 'red'}>{v.equal ? '✓' : '✗'}</Text> {v.table}: production {v.production?.rows ?? '-'} / staging {v.staging?.rows ?? '-'} rows, checksums {v.equal ? 'equal' : 'differ'}
					</Text>
				))}
			</Box>
		);
	} else {
		const total = watch.lines.size;
		const visible = bodyHeight - 1;
		const offset = Math.min(scroll, Math.max(0, total - visible));
		const lines = watch.lines.slice(Math.max(0, total - visible - offset), total - offset);
		body = (
			<Box flexDirection="column">
				{lines.map((line, i) => <Text key={i} wrap="truncate" dimColor={line.stream === 'out'}>{line.text}</Text>)}
				{total === 0 ? <Text dimColor>{running ? 'waiting for output…' : 's run the sync · a follow the sync log · p preflight · v verify · h history'}</Text> : null}
			</Box>
		);
	}

	return (
		<Box flexDirection="column" width={width} height={height}>
			<Text wrap="truncate">script: {services.profile.sync.script} → {services.profile.environments.staging.database}</Text>
			<Text wrap="truncate" color={s && (!s.twoAm.ok || !s.survivesReboot) ? 'yellow' : undefined}>{scheduleLine}</Text>
			<Text wrap="truncate" dimColor>{nextLine}</Text>
			<Box>
				<Box flexDirection="column" width={34}>
					<Text bold>
						{running ? <Text color="cyan"><Spinner type="dots" /> </Text> : null}
						{phase}{watch.run ? `  ${seconds(watch.durationMs)}` : ''}
					</Text>
					{stepRows}
					<Text dimColor>{done}/{watch.tables.length} tables</Text>
					{end ? <Text color={end.code === 0 ? 'green' : 'red'}>exit {end.code ?? '-'}{end.aborted ? ' (stopped)' : ''}{end.lost ? ' (lost)' : ''}</Text> : null}
					{watch.verify ? <Text color={watch.verify.ok ? 'green' : 'red'}>verify: {watch.verify.ok ? 'staging = production, others unchanged' : 'MISMATCH'}</Text> : null}
					{watch.verify?.unchanged.filter(u => !u.equal).map(u => <Text key={u.table} color="red">changed: {u.table} ({u.before?.rows ?? '-'} → {u.after?.rows ?? '-'})</Text>)}
				</Box>
				<Box flexDirection="column" flexGrow={1} height={bodyHeight}>{body}</Box>
			</Box>
			{sync.error ? <Text color="red" wrap="truncate">{sync.error}</Text> : null}
			{watch.error && !sync.error ? <Text color="red" wrap="truncate">{watch.error}</Text> : null}
			<Text dimColor wrap="truncate">{running ? 'Esc/x stop' : 's run · R reattach · a attach log'} · p preflight · v verify · h history · j/k scroll</Text>
		</Box>
	);
}
