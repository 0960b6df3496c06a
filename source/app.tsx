import {Box, Text, useInput, useWindowSize} from 'ink';
import {useCallback, useMemo, useState} from 'react';
import {EnvBand} from './ui/components/EnvBand.js';
import {Header} from './ui/components/Header.js';
import {HelpOverlay} from './ui/components/HelpOverlay.js';
import {useConnection} from './ui/hooks/useConnection.js';
import {useStartupSafety} from './ui/hooks/useStartupSafety.js';
import {actionFor} from './ui/input.js';
import {SafetyBadgeContext} from './ui/safety-state.js';
import {SCREENS} from './ui/screens/registry.js';
import type {Focus} from './ui/screens/types.js';
import type {AppServices} from './ui/services.js';

export interface AppProps {
	services: AppServices;
	/** Called with the exit code when the operator quits (0 for q, 130 for Ctrl-C). */
	onQuit: (code: number) => void;
	initialScreen?: string;
}

export function App({services, onQuit, initialScreen}: AppProps) {
	const {columns, rows} = useWindowSize();
	const connection = useConnection(services);
	const [help, setHelp] = useState(false);
	const [helpOffset, setHelpOffset] = useState(0);
	const [screenId, setScreenId] = useState(initialScreen ?? SCREENS[0]!.id);
	const [focus, setFocus] = useState<Focus>({environment: undefined, name: undefined});
	const [typing, setTyping] = useState(false);
	const [safetyFailed, setSafetyFailed] = useState<boolean | undefined>();
	const safetyBadge = useMemo(() => ({failed: safetyFailed, setFailed: setSafetyFailed}), [safetyFailed]);
	const onFocus = useCallback((f: Focus) => setFocus(prev => (prev.environment === f.environment && prev.name === f.name ? prev : f)), []);
	const screen = SCREENS.find(s => s.id === screenId) ?? SCREENS[0]!;

	useStartupSafety(services, initialScreen === 'safety', setSafetyFailed);

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
		if (help && (input === 'j' || key.downArrow)) {
			setHelpOffset(o => o + 1);
			return;
		}
		if (help && (input === 'k' || key.upArrow)) {
			setHelpOffset(o => Math.max(0, o - 1));
			return;
		}
		if (action === 'help') {
			setHelpOffset(0);
			setHelp(h => !h);
		}
		else if (action === 'quit') onQuit(0);
		else if (!help) {
			const target = SCREENS.find(s => s.key === input);
			if (target) setScreenId(target.id);
		}
	});

	const width = Math.max(20, (columns || 80) - 1);
	const height = Math.max(5, (rows || 24) - 4);
	const {Component} = screen;
	return (
		<SafetyBadgeContext.Provider value={safetyBadge}>
		<Box flexDirection="column">
			<Header host={services.hostLabel} state={connection.state} latencyMs={connection.latencyMs} readOnly={services.readOnly} screen={screen.title} safetyFailed={safetyFailed === true} />
			<EnvBand environment={focus.environment} container={focus.name} width={width} />
			{help ? <HelpOverlay readOnly={services.readOnly} scopes={screen.scopes} title={screen.title} height={height} offset={helpOffset} /> : <Component services={services} active={!help} width={width} height={height} onFocus={onFocus} onTyping={setTyping} focus={focus} navigate={setScreenId} />}
			<Text dimColor>{[...SCREENS].sort((a, b) => a.key.localeCompare(b.key)).map(s => `${s.key} ${s.title}`).join('  ')}  ? help  q quit</Text>
		</Box>
		</SafetyBadgeContext.Provider>
	);
}
