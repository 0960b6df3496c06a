import {Box, Text} from 'ink';
import {helpLines, type KeyScope} from '../keymap.js';

/** Generated from the keymap: the global keys and the keys of the screen in view, scrolled with j/k. */
export function HelpOverlay({readOnly, scopes, title, height, offset}: {readOnly: boolean; scopes: readonly KeyScope[]; title: string; height: number; offset: number}) {
	const all = helpLines(readOnly);
	const rows: {key: string; text: React.ReactNode}[] = [];
	for (const scope of ['global', ...scopes] as KeyScope[]) {
		const lines = all.filter(l => l.scope === scope);
		if (lines.length === 0) continue;
		rows.push({key: `h-${scope}`, text: <Text underline>{scope === 'global' ? 'everywhere' : scope}</Text>});
		for (const l of lines) {
			rows.push({key: `${scope}-${l.keys}-${l.description}`, text: <Text><Text color="cyan">{`  ${l.keys}`.padEnd(16)}</Text>{l.description}</Text>});
		}
	}
	const room = Math.max(3, height - 4);
	const start = Math.max(0, Math.min(offset, rows.length - room));
	const visible = rows.slice(start, start + room);
	return (
		<Box flexDirection="column" borderStyle="round" paddingX={1}>
			<Text bold>Keys on {title} (? or Esc closes{rows.length > room ? ', j/k scroll' : ''})</Text>
			{visible.map(r => <Box key={r.key}>{r.text}</Box>)}
			{rows.length > room ? <Text dimColor>{start + visible.length} of {rows.length} lines</Text> : null}
		</Box>
	);
}
