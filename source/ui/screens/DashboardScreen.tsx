import {Box, Text, useInput} from 'ink';
import Spinner from 'ink-spinner';
import {useEffect, useMemo, useState} from 'react';
import {envDiff, sideBySide} from '../../core/docker/compare.js';
import {fit} from '../../core/present.js';
import {useContainers} from '../hooks/useContainers.js';
import {useUpdates} from '../hooks/useUpdates.js';
import {actionFor} from '../input.js';
import type {ScreenProps} from './types.js';

const STATUS_TEXT = {same: 'same', different: 'differs', 'only-production': 'production only', 'only-staging': 'staging only'} as const;

function cellColor(label: string, value: string): string | undefined {
	if (label === 'update') return value === 'up to date' ? 'green' : value === 'update available' ? 'yellow' : value === 'unknown' ? 'red' : undefined;
	if (label === 'health') return value === 'healthy' ? 'green' : value === 'unhealthy' ? 'red' : value === 'starting' ? 'yellow' : undefined;
	if (label === 'state') return value === 'running' ? undefined : 'red';
	if (label === 'container' && (value === 'not found' || value === 'host unreachable')) return 'red';
	return undefined;
}

/** Production and staging side by side, with a masked env diff (secrets compared by hash). */
export function DashboardScreen({services, active, width, height, onFocus}: ScreenProps) {
	const data = useContainers(services);
	const {updates, checking, recheck} = useUpdates(services, data.containers);
	const [offset, setOffset] = useState(0);
	const [onlyDiff, setOnlyDiff] = useState(false);
	const envs = services.profile.environments;
	const production = data.containers.find(c => c.environment === 'production');
	const staging = data.containers.find(c => c.environment === 'staging');
	const rows = sideBySide(production, staging, updates, Date.now(), data.unreachable);
	const diff = useMemo(() => envDiff(production?.env ?? [], staging?.env ?? []).filter(r => !onlyDiff || r.status !== 'same'), [production, staging, onlyDiff]);

	useEffect(() => {
		onFocus({environment: undefined, name: 'production and staging side by side'});
	}, [onFocus]);

	const labelWidth = 11;
	const column = Math.max(14, Math.floor((width - labelWidth - 18) / 2));
	const reasons = (['production', 'staging'] as const).flatMap(env => {
		const u = updates[env];
		return u?.state === 'unknown' ? [`${env}: update state unknown: ${u.reason}`] : [];
	});
	const diffRows = Math.max(2, height - rows.length - reasons.length - 6);
	const start = Math.min(offset, Math.max(0, diff.length - diffRows));

	useInput((input, key) => {
		switch (actionFor(input, key, ['dashboard', 'global'])) {
			case 'down': setOffset(Math.min(start + 1, Math.max(0, diff.length - diffRows))); break;
			case 'up': setOffset(Math.max(0, start - 1)); break;
			case 'only-diff': setOnlyDiff(d => !d); setOffset(0); break;
			case 'refresh': data.refresh(); recheck(); break;
			default: break;
		}
	}, {isActive: active});

	return (
		<Box flexDirection="column">
			{data.loading && data.containers.length === 0 ? <Text color="yellow"><Spinner type="dots" /> loading containers…</Text> : null}
			{data.error ? <Text color="red" wrap="wrap">{data.error}</Text> : null}
			<Text bold>
				{fit('', labelWidth)}
				<Text color="red">{fit('PRODUCTION', column)}</Text>
				{' '}
				<Text color="yellow">{fit('STAGING', column)}</Text>
				{checking ? <Text dimColor> checking registry…</Text> : null}
			</Text>
			{rows.map(row => {
				const differs = row.label !== 'container' && row.production !== row.staging;
				const pc = cellColor(row.label, row.production);
				const sc = cellColor(row.label, row.staging);
				return (
					<Text key={row.label} wrap="truncate-end">
						<Text dimColor>{fit(row.label, labelWidth)}</Text>
						<Text {...(pc ? {color: pc} : {})}>{fit(row.production, column)}</Text>
						{' '}
						<Text {...(sc ? {color: sc} : {})}>{fit(row.staging, column)}</Text>
						{differs && ['tag', 'digest', 'revision'].includes(row.label) ? <Text dimColor> ≠</Text> : null}
					</Text>
				);
			})}
			{reasons.map(r => <Text key={r} color="red" wrap="truncate-end">{r}</Text>)}
			<Text bold>
				{`ENV ${onlyDiff ? '(differences only) ' : ''}`}<Text dimColor>secrets masked, compared by hash · d differences only · j/k scroll</Text>
			</Text>
			{diff.slice(start, start + diffRows).map(row => (
				<Text key={row.name} wrap="truncate-end">
					<Text {...(row.secret ? {color: 'magenta'} : {})}>{fit(row.name, Math.min(24, labelWidth + 10))}</Text>
					<Text>{fit(row.production ?? '—', column - 6)}</Text>
					{' '}
					<Text>{fit(row.staging ?? '—', column - 6)}</Text>
					{' '}
					<Text color={row.status === 'same' ? 'green' : 'yellow'}>{STATUS_TEXT[row.status]}</Text>
				</Text>
			))}
			{diff.length > diffRows ? <Text dimColor>{`${start + 1}-${Math.min(diff.length, start + diffRows)} of ${diff.length} variables`}</Text> : null}
		</Box>
	);
}
