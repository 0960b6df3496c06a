import {Box, Text, useInput} from 'ink';
import Spinner from 'ink-spinner';
import {useCallback, useEffect, useMemo, useState} from 'react';
import type {Container} from '../../core/docker/containers.js';
import {ConfirmDialog} from '../components/ConfirmDialog.js';
import {ContainerTable} from '../components/ContainerTable.js';
import {DetailsPane, detailLines} from '../components/DetailsPane.js';
import {useContainerAction} from '../hooks/useContainerAction.js';
import {useContainers} from '../hooks/useContainers.js';
import {useUpdates} from '../hooks/useUpdates.js';
import {actionFor, splitKeys} from '../input.js';
import type {ScreenProps} from './types.js';

export function filterContainers(containers: Container[], filter: string): Container[] {
	const needle = filter.trim().toLowerCase();
	if (!needle) return containers;
	return containers.filter(c => [c.name, c.environment ?? '', c.image, c.tag, c.state, c.health].some(v => v.toLowerCase().includes(needle)));
}

type Pending = {kind: 'restart' | 'update'; container: Container};

export function ContainersScreen({services, active, height, onFocus, onTyping, navigate}: ScreenProps) {
	const data = useContainers(services);
	const {updates, recheck} = useUpdates(services, data.containers);
	const [details, setDetails] = useState(false);
	const [detailOffset, setDetailOffset] = useState(0);
	const [pending, setPending] = useState<Pending | undefined>();
	const refreshAll = useCallback(() => {
		data.refresh();
		recheck();
	}, [data.refresh, recheck]);
	const action = useContainerAction(services, refreshAll);
	const [selected, setSelected] = useState(0);
	const [filter, setFilter] = useState('');
	const [editing, setEditing] = useState(false);
	const rows = useMemo(() => filterContainers(data.containers, filter), [data.containers, filter]);
	const clamped = Math.min(selected, Math.max(0, rows.length - 1));
	const focused = rows[clamped];

	useEffect(() => {
		onFocus({environment: focused?.environment, name: focused?.name});
	}, [focused, onFocus]);

	useEffect(() => {
		onTyping(editing || pending !== undefined);
	}, [editing, pending, onTyping]);

	const ask = (kind: Pending['kind'], container: Container | undefined) => {
		if (!container || action.state.running || services.readOnly) return;
		if (kind === 'update' && !container.environment) {
			action.dismiss();
			return;
		}
		setPending({kind, container});
	};
	const confirmed = (typed: string | undefined) => {
		if (!pending) return;
		const {kind, container} = pending;
		setPending(undefined);
		if (kind === 'restart') action.restart(container.name, typed);
		else if (container.environment) action.update(container.environment, typed);
	};

	useInput((input, key) => {
		// Keys can arrive batched ("/post" from a fast typist or tmux): handle them one by one.
		let isEditing = editing;
		let text = filter;
		let row = clamped;
		for (const [char, k] of splitKeys(input, key)) {
			if (isEditing) {
				const action = actionFor(char, k, ['filter']);
				if (action === 'apply-filter') isEditing = false;
				else if (action === 'cancel-filter') {
					isEditing = false;
					text = '';
				} else if (k.backspace || k.delete) text = text.slice(0, -1);
				else if (char && !k.ctrl && !k.meta) {
					text += char;
					row = 0;
				}
				continue;
			}
			if (details) {
				switch (actionFor(char, k, ['details', 'global'], services.readOnly)) {
					case 'down': setDetailOffset(o => o + 1); break;
					case 'up': setDetailOffset(o => Math.max(0, o - 1)); break;
					case 'close': setDetails(false); break;
					case 'logs': navigate?.('logs'); break;
					case 'restart': ask('restart', rows[row]); break;
					case 'update': ask('update', rows[row]); break;
					case 'refresh': refreshAll(); break;
					default: break;
				}
				continue;
			}
			switch (actionFor(char, k, ['containers', 'global'], services.readOnly)) {
				case 'details':
					if (rows[row]) {
						setDetails(true);
						setDetailOffset(0);
					}
					break;
				case 'logs': if (rows[row]) navigate?.('logs'); break;
				case 'restart': ask('restart', rows[row]); break;
				case 'update': ask('update', rows[row]); break;
				case 'down': row = Math.min(row + 1, Math.max(0, rows.length - 1)); break;
				case 'up': row = Math.max(row - 1, 0); break;
				case 'top': row = 0; break;
				case 'bottom': row = Math.max(0, rows.length - 1); break;
				case 'filter': isEditing = true; break;
				case 'clear-filter': text = ''; break;
				case 'refresh': refreshAll(); break;
				default: break;
			}
		}
		setEditing(isEditing);
		setFilter(text);
		setSelected(row);
	}, {isActive: active && !pending});

	return (
		<Box flexDirection="column">
			<Box>
				{data.loading && data.containers.length === 0 ? <Text color="yellow"><Spinner type="dots" /> loading containers…</Text> : null}
				{editing || filter ? <Text>filter: <Text color="cyan">{filter}</Text>{editing ? <Text inverse> </Text> : null}</Text> : null}
			</Box>
			{data.error ? <Text color="red" wrap="wrap">{data.error}</Text> : null}
			{pending ? (
				<ConfirmDialog
					title={`${pending.kind === 'restart' ? 'Restart' : 'Update'} ${pending.container.environment ? pending.container.environment.toUpperCase() : ''} container ${pending.container.name}?`}
					lines={pending.kind === 'restart'
						? [`docker restart ${pending.container.name}: the app stops for a few seconds.`]
						: [`Pull ${services.profile.environments[pending.container.environment!].image}:${services.profile.environments[pending.container.environment!].tag} and recreate ${pending.container.name} with the same env, ports, mounts, networks and restart policy.`,
							'The old container is kept until the new one answers its health endpoint; otherwise it is brought back.']}
					confirmLabel={pending.kind === 'restart' ? 'Restart' : 'Update'}
					{...(pending.container.environment === 'production' ? {requireText: pending.container.name} : {})}
					onConfirm={() => confirmed(pending.container.environment === 'production' ? pending.container.name : undefined)}
					onCancel={() => setPending(undefined)}
					active={active}
				/>
			) : null}
			{action.state.title ? (
				<Box flexDirection="column" borderStyle="single" borderColor={action.state.running ? 'yellow' : action.state.ok ? 'green' : 'red'} paddingX={1}>
					<Text bold>{action.state.running ? <Spinner type="dots" /> : null}{` ${action.state.title}`}</Text>
					{action.state.progress.slice(-5).map((line, i) => <Text key={`${i}-${line}`} dimColor wrap="truncate-end">{line}</Text>)}
					{action.state.result ? <Text color={action.state.ok ? 'green' : 'red'} wrap="wrap">{action.state.result}</Text> : null}
				</Box>
			) : null}
			{details && focused
				? <DetailsPane container={focused} update={focused.environment ? updates[focused.environment] : undefined} height={Math.max(3, height - 3 - (action.state.title ? 8 : 0))} offset={Math.min(detailOffset, Math.max(0, detailLines(focused, undefined).length - 3))} />
				: <ContainerTable containers={rows} selected={clamped} height={Math.max(3, height - 3 - (action.state.title ? 8 : 0) - (pending ? 8 : 0))} />}
			<Text dimColor>{rows.length} of {data.containers.length} containers{data.updatedAt ? ` · updated ${new Date(data.updatedAt).toLocaleTimeString()}` : ''}{details ? '' : ` · Enter details · l logs${services.readOnly ? '' : ' · R restart · U update'}`}</Text>
		</Box>
	);
}
