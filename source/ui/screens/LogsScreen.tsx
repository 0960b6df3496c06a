import {Box, Text, useInput} from 'ink';
import {useEffect, useMemo, useState} from 'react';
import {LogView} from '../components/LogView.js';
import {useContainers} from '../hooks/useContainers.js';
import {useLogStream} from '../hooks/useLogStream.js';
import {actionFor} from '../input.js';
import type {ScreenProps} from './types.js';

/** Live log of one container; Tab / ] and [ pick another container, which aborts the old stream. */
export function LogsScreen({services, active, width, height, onFocus, onTyping, focus}: ScreenProps) {
	const data = useContainers(services);
	const envs = services.profile.environments;
	const names = useMemo(() => {
		const all = [envs.production.container, envs.staging.container, ...data.containers.map(c => c.name)];
		return [...new Set(all)];
	}, [data.containers, envs]);
	// Start on the container in focus (Containers screen 'l'), else production.
	const [name, setName] = useState<string>(focus?.name && !focus.name.includes(' ') ? focus.name : envs.production.container);
	const [typing, setTyping] = useState(false);
	const stream = useLogStream(services, name);
	const container = data.containers.find(c => c.name === name);

	useEffect(() => {
		onFocus({environment: container?.environment ?? (name === envs.production.container ? 'production' : name === envs.staging.container ? 'staging' : undefined), name});
	}, [name, container, envs, onFocus]);
	useEffect(() => onTyping(typing), [typing, onTyping]);

	useInput((input, key) => {
		const action = actionFor(input, key, ['logs-screen']);
		const index = Math.max(0, names.indexOf(name));
		if (action === 'next-container' && !key.shift) setName(names[(index + 1) % names.length]!);
		else if (action === 'prev-container' || (action === 'next-container' && key.shift)) setName(names[(index - 1 + names.length) % names.length]!);
	}, {isActive: active && !typing});

	return (
		<Box flexDirection="column">
			<Text wrap="truncate-end">
				{names.map(n => (
					<Text key={n} {...(n === name ? {inverse: true, bold: true} : {dimColor: true})}>{` ${n} `}</Text>
				))}
			</Text>
			<LogView
				name={name}
				buffer={stream.model.buffer}
				version={stream.version}
				status={stream.status}
				error={stream.error}
				width={width}
				height={height - 1}
				active={active}
				onTyping={setTyping}
				onSave={lines => services.saveLog(name, lines)}
			/>
		</Box>
	);
}
