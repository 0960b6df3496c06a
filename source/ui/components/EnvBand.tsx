import {Box, Text} from 'ink';
import type {EnvironmentName} from '../../core/config/schema.js';

/** The permanent band naming the environment in focus: production red, staging yellow. */
export function EnvBand({environment, container, width}: {environment: EnvironmentName | undefined; container: string | undefined; width: number}) {
	const label = environment ? ` ${environment.toUpperCase()} · ${container ?? ''} ` : ` ${container ?? 'no environment in focus'} `;
	const background = environment === 'production' ? 'red' : environment === 'staging' ? 'yellow' : 'gray';
	const color = environment === 'staging' ? 'black' : 'white';
	return (
		<Box>
			<Text backgroundColor={background} color={color} bold>{label.padEnd(Math.max(label.length, width))}</Text>
		</Box>
	);
}
