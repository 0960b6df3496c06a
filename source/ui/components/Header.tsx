import {Box, Text} from 'ink';
import type {ConnectionState} from '../../core/transport/types.js';

const STATE_COLOR: Record<ConnectionState, string> = {
	idle: 'gray', connecting: 'yellow', connected: 'green', reconnecting: 'yellow', closed: 'gray', failed: 'red',
};

export function Header({host, state, latencyMs, readOnly, screen, safetyFailed = false}: {host: string; state: ConnectionState; latencyMs: number | undefined; readOnly: boolean; screen: string; safetyFailed?: boolean}) {
	return (
		<Box justifyContent="space-between">
			<Text>
				<Text bold>jutsu-ops</Text>
				<Text dimColor> · </Text>
				<Text>{host}</Text>
				<Text dimColor> · </Text>
				<Text color={STATE_COLOR[state]}>{state}</Text>
				{latencyMs === undefined ? null : <Text dimColor>{` ${latencyMs} ms`}</Text>}
				{readOnly ? <Text color="cyan"> · READ-ONLY</Text> : null}
				{safetyFailed ? <Text color="white" backgroundColor="red" bold> ⚠ SAFETY CHECK FAILED </Text> : null}
			</Text>
			<Text dimColor>{screen} · ? help</Text>
		</Box>
	);
}
