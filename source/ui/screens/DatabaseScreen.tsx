import {Box, Text, useInput} from 'ink';
import Spinner from 'ink-spinner';
import {useEffect, useState} from 'react';
import {formatBytes, formatRows} from '../../core/db/inspect.js';
import {fit} from '../../core/present.js';
import {formatInZone} from '../../core/time.js';
import {useDatabase} from '../hooks/useDatabase.js';
import {actionFor} from '../input.js';
import type {ScreenProps} from './types.js';

const SIDE_COLOR: Record<string, string> = {'production-only': 'red', differs: 'yellow', 'staging-only': 'gray'};

/** Production and staging databases side by side (read-only): rows, sizes, sync coverage, last sync, schema diff. */
export function DatabaseScreen({services, active, width, height, onFocus}: ScreenProps) {
	const db = useDatabase(services);
	const [scroll, setScroll] = useState(0);
	const zone = services.profile.sync.timezone;
	const {production, staging} = services.profile.environments;

	useEffect(() => {
		onFocus({environment: 'staging', name: staging.database});
	}, [onFocus, services, staging.database]);

	useInput((input, key) => {
		switch (actionFor(input, key, ['database', 'global'], services.readOnly)) {
			case 'exact': db.load(true); break;
			case 'refresh': db.load(false); break;
			case 'down': setScroll(s => s + 1); break;
			case 'up': setScroll(s => Math.max(0, s - 1)); break;
			default: break;
		}
	}, {isActive: active});

	const r = db.report;
	const diffHeight = Math.max(3, height - (r?.rows.length ?? 0) - 9);
	const diffs = r?.differences ?? [];
	const offset = Math.min(scroll, Math.max(0, diffs.length - diffHeight));
	const last = r?.lastSync;
	return (
		<Box flexDirection="column" width={width} height={height}>
			<Text bold wrap="truncate">
				{fit('table', 24)} {fit('sync', 5)} {fit(production.database, 16).padStart(16)} {'size'.padStart(9)}  {fit(staging.database, 20).padStart(20)} {'size'.padStart(9)}
				{db.loading ? <Text color="cyan">  <Spinner type="dots" /> {db.loading === 'exact' ? 'counting every row…' : 'reading…'}</Text> : null}
			</Text>
			{r?.rows.map(row => (
				<Text key={row.table} wrap="truncate">
					{fit(row.table, 24)} <Text color={row.synced ? 'green' : undefined} dimColor={!row.synced}>{fit(row.synced ? 'yes' : 'no', 5)}</Text> {formatRows(row.production).padStart(16)} {formatBytes(row.production?.bytes).padStart(9)}  {formatRows(row.staging).padStart(20)} {formatBytes(row.staging?.bytes).padStart(9)}
				</Text>
			))}
			{r && !r.exact ? <Text dimColor>~ estimates (pg_class.reltuples) · e counts every row</Text> : null}
			{[r?.production, r?.staging].map(side => side?.error ? <Text key={side.database} color="red" wrap="truncate">{side.database}: {side.error}</Text> : null)}
			<Text wrap="truncate">
				last sync: {last ? <Text color={last.status === 'success' ? 'green' : last.status === 'failed' ? 'red' : 'yellow'}>{formatInZone(last.startedAt, zone)} {last.status}</Text> : <Text color="yellow">{r?.syncLogError ?? (r ? 'never' : '…')}</Text>}
				{r?.lastSuccess && r.lastSuccess !== last ? <Text dimColor>{'  '}last success {formatInZone(r.lastSuccess.startedAt, zone)}</Text> : null}
			</Text>
			<Text bold>
				{!r ? '' : r.production.error || r.staging.error ? 'schema: not compared' : diffs.length === 0 ? 'schema: staging matches production' : `schema differences (${diffs.length})`}
			</Text>
			<Box flexDirection="column" height={diffHeight}>
				{diffs.slice(offset, offset + diffHeight).map(d => (
					<Text key={`${d.kind}-${d.name}`} wrap="truncate"><Text color={SIDE_COLOR[d.side]}>{d.side.padEnd(16)}</Text>{d.kind.padEnd(11)}{d.detail}</Text>
				))}
			</Box>
			{r?.migrationHint ? <Text color="yellow" wrap="wrap">→ {r.migrationHint}</Text> : null}
			{db.error ? <Text color="red" wrap="truncate">{db.error}</Text> : null}
			<Text dimColor wrap="truncate">read-only · e exact counts · r refresh · j/k scroll the differences</Text>
		</Box>
	);
}
