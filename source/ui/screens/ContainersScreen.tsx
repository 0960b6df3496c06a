import {Box, Text, useInput} from 'ink';
import Spinner from 'ink-spinner';
import {useEffect, useMemo, useState} from 'react';
import type {Container} from '../../core/docker/containers.js';
import {ContainerTable} from '../components/ContainerTable.js';
import {useContainers} from '../hooks/useContainers.js';
import {actionFor, splitKeys} from '../input.js';
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
			switch (actionFor(char, k, ['containers', 'global'])) {
				case 'down': row = Math.min(row + 1, Math.max(0, rows.length - 1)); break;
				case 'up': row = Math.max(row - 1, 0); break;
				case 'top': row = 0; break;
				case 'bottom': row = Math.max(0, rows.length - 1); break;
				case 'filter': isEditing = true; break;
				case 'clear-filter': text = ''; break;
				case 'refresh': data.refresh(); break;
				default: break;
			}
		}
		setEditing(isEditing);
		setFilter(text);
		setSelected(row);
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
