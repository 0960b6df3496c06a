import {Box, Text} from 'ink';
import {runningDigest} from '../../core/docker/compare.js';
import type {Container} from '../../core/docker/containers.js';
import {uptimeSeconds} from '../../core/docker/containers.js';
import {type UpdateState, updateLabel} from '../../core/docker/registry.js';
import {fit, formatDuration} from '../../core/present.js';

/** Every fact about one container as label/value lines; env values come masked from core. Pure. */
export function detailLines(container: Container, update: UpdateState | undefined, now = Date.now()): {label: string; value: string; color?: string}[] {
	const lines: {label: string; value: string; color?: string}[] = [
		{label: 'name', value: container.name},
		{label: 'environment', value: container.environment ?? '-'},
		{label: 'image', value: container.image},
		{label: 'tag', value: container.tag || '-'},
		{label: 'image id', value: container.imageId.replace(/^sha256:/u, '').slice(0, 12)},
		{label: 'repo digest', value: runningDigest(container) ?? '-'},
		{label: 'revision', value: container.revision ?? '-'},
		{label: 'state', value: container.state, ...(container.state === 'running' ? {} : {color: 'red'})},
		{label: 'health', value: container.health, ...(container.health === 'healthy' ? {color: 'green'} : container.health === 'unhealthy' ? {color: 'red'} : {})},
		{label: 'created', value: container.createdAt},
		{label: 'started', value: `${container.startedAt ?? '-'}${container.state === 'running' ? ` (up ${formatDuration(uptimeSeconds(container, now))})` : ''}`},
		{label: 'restarts', value: String(container.restartCount)},
		{label: 'restart policy', value: container.restartPolicy},
		{label: 'ports', value: container.ports.map(p => `${p.hostIp ? `${p.hostIp}:` : ''}${p.hostPort}->${p.containerPort}`).join(', ') || '-'},
		{label: 'networks', value: container.networks.join(', ') || '-'},
	];
	if (container.environment) {
		const color = update?.state === 'update-available' ? 'yellow' : update?.state === 'up-to-date' ? 'green' : update?.state === 'unknown' ? 'red' : undefined;
		lines.push({label: 'update', value: `${updateLabel(update)}${update?.state === 'unknown' ? ` (${update.reason})` : ''}`, ...(color ? {color} : {})});
	}
	for (const m of container.mounts) lines.push({label: 'mount', value: `${m.source} -> ${m.destination}${m.readOnly ? ' (ro)' : ''} [${m.type}]`});
	for (const v of container.env) lines.push({label: 'env', value: `${v.name}=${v.secret ? (v.set ? v.value : '(empty)') : v.value}`, ...(v.secret ? {color: 'magenta'} : {})});
	return lines;
}

export function DetailsPane({container, update, height, offset}: {container: Container; update: UpdateState | undefined; height: number; offset: number}) {
	const lines = detailLines(container, update);
	const start = Math.max(0, Math.min(offset, lines.length - height));
	const visible = lines.slice(start, start + height);
	return (
		<Box flexDirection="column">
			{visible.map((line, i) => (
				<Text key={`${start + i}`} wrap="truncate-end">
					<Text dimColor>{fit(line.label, 15)}</Text>
					<Text {...(line.color ? {color: line.color} : {})}>{line.value}</Text>
				</Text>
			))}
			<Text dimColor>{start + visible.length < lines.length ? `… ${lines.length - start - visible.length} more (j/k) · ` : ''}secret values are masked · Esc back · l logs</Text>
		</Box>
	);
}
