import {Box, Text} from 'ink';
import type {Container} from '../../core/docker/containers.js';
import {containerColumns, containerRow, fit} from '../../core/present.js';

function healthColor(health: string): string | undefined {
	if (health === 'healthy') return 'green';
	if (health === 'unhealthy') return 'red';
	if (health === 'starting') return 'yellow';
	return undefined;
}

export function ContainerTable({containers, selected, height}: {containers: Container[]; selected: number; height: number}) {
	const start = Math.max(0, Math.min(selected - Math.floor(height / 2), containers.length - height));
	const visible = containers.slice(start, start + height);
	const now = Date.now();
	const columns = containerColumns(containers);
	return (
		<Box flexDirection="column">
			<Text bold>{columns.map(c => fit(c.title, c.width)).join(' ')}</Text>
			{visible.length === 0 ? <Text dimColor>no containers match</Text> : null}
			{visible.map((container, i) => {
				const row = containerRow(container, now);
				const isSelected = start + i === selected;
				return (
					<Text key={container.id} inverse={isSelected} wrap="truncate">
						{columns.map((col, index) => {
							const cell = fit(row[col.key], col.width);
							const color = col.key === 'health' ? healthColor(row.health)
								: col.key === 'env' ? (row.env === 'production' ? 'red' : row.env === 'staging' ? 'yellow' : undefined)
								: col.key === 'state' && row.state !== 'running' ? 'red' : undefined;
							return <Text key={col.key} {...(color ? {color} : {})}>{(index > 0 ? ' ' : '') + cell}</Text>;
						})}
					</Text>
				);
			})}
		</Box>
	);
}
