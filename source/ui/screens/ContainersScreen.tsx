import {Box, Text, useInput} from 'ink';
import Spinner from 'ink-spinner';
import {useEffect, useMemo, useState} from 'react';
import type {Container} from '../../core/docker/containers.js';
import {ContainerTable} from '../components/ContainerTable.js';
import {useContainers} from '../hooks/useContainers.js';
import {actionFor} from '../input.js';
import type {ScreenProps} from './types.js';

export function filterContainers(containers: Container[], filter: string): Container[] {
	const needle = filter.trim().toLowerCase();
	if (!needle) return containers;
	return containers.filter(c => [c.name, c.environment ?? '', c.image, c.tag, c.state, c.health].some(v => v.toLowerCase().includes(needle)));
}

export function ContainersScreen({services, active, height, onFocus, onTyping}: ScreenProps) {
	const data = useContainers(services);
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
		onTyping(editing);
	}, [editing, onTyping]);

	useInput((input, key) => {
		if (editing) {
			const action = actionFor(input, key, ['filter']);
			if (action === 'apply-filter') setEditing(false);
			else if (action === 'cancel-filter') {
				setEditing(false);
				setFilter('');
			} else if (key.backspace || key.delete) setFilter(f => f.slice(0, -1));
			else if (input && !key.ctrl && !key.meta) {
				setFilter(f => f + input);
				setSelected(0);
			}
			return;
		}
		switch (actionFor(input, key, ['containers', 'global'])) {
			case 'down': setSelected(Math.min(clamped + 1, rows.length - 1)); break;
			case 'up': setSelected(Math.max(clamped - 1, 0)); break;
			case 'top': setSelected(0); break;
			case 'bottom': setSelected(Math.max(0, rows.length - 1)); break;
			case 'filter': setEditing(true); break;
			case 'clear-filter': setFilter(''); break;
			case 'refresh': data.refresh(); break;
			default: break;
		}
	}, {isActive: active});

	return (
		<Box flexDirection="column">
			<Box>
				{data.loading && data.containers.length === 0 ? <Text color="yellow"><Spinner type="dots" /> loading containers…</Text> : null}
				{editing || filter ? <Text>filter: <Text color="cyan">{filter}</Text>{editing ? <Text inverse> </Text> : null}</Text> : null}
			</Box>
			{data.error ? <Text color="red" wrap="wrap">{data.error}</Text> : null}
			<ContainerTable containers={rows} selected={clamped} height={Math.max(3, height - 3)} />
			<Text dimColor>{rows.length} of {data.containers.length} containers{data.updatedAt ? ` · updated ${new Date(data.updatedAt).toLocaleTimeString()}` : ''}</Text>
		</Box>
	);
}
