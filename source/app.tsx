import {Box, useInput, useWindowSize} from 'ink';
import {useCallback, useState} from 'react';
import type {Container} from './core/docker/containers.js';
import {EnvBand} from './ui/components/EnvBand.js';
import {Header} from './ui/components/Header.js';
import {HelpOverlay} from './ui/components/HelpOverlay.js';
import {useConnection} from './ui/hooks/useConnection.js';
import {useContainers} from './ui/hooks/useContainers.js';
import {actionFor} from './ui/input.js';
import {ContainersScreen} from './ui/screens/ContainersScreen.js';
import type {AppServices} from './ui/services.js';

export interface AppProps {
	services: AppServices;
	/** Called with the exit code when the operator quits (0 for q, 130 for Ctrl-C). */
	onQuit: (code: number) => void;
}

export function App({services, onQuit}: AppProps) {
	const {columns, rows} = useWindowSize();
	const connection = useConnection(services);
	const containers = useContainers(services);
	const [help, setHelp] = useState(false);
	const [focus, setFocus] = useState<Container | undefined>();
	const [typing, setTyping] = useState(false);
	const onFocus = useCallback((c: Container | undefined) => setFocus(c), []);

	useInput((input, key) => {
		const action = actionFor(input, key, ['global']);
		if (action === 'quit-now') {
			onQuit(130);
			return;
		}
		if (typing) return;
		if (help && (key.escape || input === '?')) {
			setHelp(false);
			return;
		}
		if (action === 'help') setHelp(h => !h);
		else if (action === 'quit') onQuit(0);
		else if (action === 'refresh') containers.refresh();
	});

	const tableHeight = Math.max(3, (rows || 24) - 8);
	return (
		<Box flexDirection="column">
			<Header host={services.hostLabel} state={connection.state} latencyMs={connection.latencyMs} readOnly={services.readOnly} screen="Containers" />
			<EnvBand environment={focus?.environment} container={focus?.name} width={Math.max(20, (columns || 80) - 1)} />
			{help ? <HelpOverlay readOnly={services.readOnly} /> : (
				<ContainersScreen data={containers} active={!help} height={tableHeight} onFocus={onFocus} onTyping={setTyping} />
			)}
		</Box>
	);
}
