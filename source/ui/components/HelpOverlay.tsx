import {Box, Text} from 'ink';
import {helpLines} from '../keymap.js';

/** Generated from the keymap: what is listed here is exactly what the keys do. */
export function HelpOverlay({readOnly}: {readOnly: boolean}) {
	const lines = helpLines(readOnly);
	const scopes = [...new Set(lines.map(l => l.scope))];
	return (
		<Box flexDirection="column" borderStyle="round" paddingX={1}>
			<Text bold>Keys (? or Esc closes)</Text>
			{scopes.map(scope => (
				<Box key={scope} flexDirection="column" marginTop={1}>
					<Text underline>{scope}</Text>
					{lines.filter(l => l.scope === scope).map(l => (
						<Text key={`${scope}-${l.keys}`}>
							<Text color="cyan">{l.keys.padEnd(14)}</Text>
							<Text>{l.description}</Text>
						</Text>
					))}
				</Box>
			))}
		</Box>
	);
}
