import type {Container} from './docker/containers.js';
import {uptimeSeconds} from './docker/containers.js';

/** Pure formatters: domain objects to the strings shown in tables, shared by the TUI and the plain CLI. */

export function formatDuration(seconds: number | undefined): string {
	if (seconds === undefined) return '-';
	if (seconds < 60) return `${seconds}s`;
	const minutes = Math.floor(seconds / 60);
	if (minutes < 60) return `${minutes}m`;
	const hours = Math.floor(minutes / 60);
	if (hours < 48) return `${hours}h${minutes % 60 ? `${minutes % 60}m` : ''}`;
	return `${Math.floor(hours / 24)}d${hours % 24 ? `${hours % 24}h` : ''}`;
}

export function formatPorts(container: Container): string {
	if (container.ports.length === 0) return '-';
	return container.ports
		.filter(p => p.hostPort)
		.map(p => `${p.hostPort}->${p.containerPort.replace('/tcp', '')}`)
		.join(', ') || '-';
}

export function shortRevision(revision: string | undefined): string {
	return revision ? revision.slice(0, 7) : '-';
}

export interface ContainerRow {
	name: string;
	env: string;
	image: string;
	tag: string;
	state: string;
	health: string;
	uptime: string;
	ports: string;
	revision: string;
	host: string;
}

export function containerRow(container: Container, now = Date.now()): ContainerRow {
	return {
		name: container.name,
		env: container.environment ?? '-',
		image: container.repository,
		tag: container.tag || '-',
		state: container.state,
		health: container.health === 'none' ? '-' : container.health,
		uptime: formatDuration(uptimeSeconds(container, now)),
		ports: formatPorts(container),
		revision: shortRevision(container.revision),
		host: container.host ?? '-',
	};
}

export const CONTAINER_COLUMNS: {key: keyof ContainerRow; title: string; width: number}[] = [
	{key: 'name', title: 'NAME', width: 22},
	{key: 'env', title: 'ENV', width: 11},
	{key: 'tag', title: 'TAG', width: 9},
	{key: 'state', title: 'STATE', width: 9},
	{key: 'health', title: 'HEALTH', width: 10},
	{key: 'uptime', title: 'UP', width: 7},
	{key: 'revision', title: 'REV', width: 8},
	{key: 'ports', title: 'PORTS', width: 24},
];

/** The columns for these containers: a HOST column when they come from more than one host. */
export function containerColumns(containers: readonly Container[]): typeof CONTAINER_COLUMNS {
	if (!containers.some(c => c.host)) return CONTAINER_COLUMNS;
	const at = CONTAINER_COLUMNS.findIndex(c => c.key === 'env') + 1;
	return [...CONTAINER_COLUMNS.slice(0, at), {key: 'host', title: 'HOST', width: 20}, ...CONTAINER_COLUMNS.slice(at)];
}

export function fit(text: string, width: number): string {
	if (text.length > width) return `${text.slice(0, Math.max(0, width - 1))}…`;
	return text.padEnd(width);
}

/** A plain-text table, for `status` without --json. */
export function containerTable(containers: Container[], now = Date.now()): string {
	const columns = containerColumns(containers);
	const header = columns.map(c => fit(c.title, c.width)).join(' ').trimEnd();
	const rows = containers.map(c => {
		const row = containerRow(c, now);
		return columns.map(col => fit(row[col.key], col.width)).join(' ').trimEnd();
	});
	return [header, ...rows].join('\n');
}

/** The JSON shape of a container in `status --json`: no env values at all. */
export function containerJson(container: Container, now = Date.now()) {
	return {
		name: container.name,
		environment: container.environment ?? null,
		image: container.image,
		repository: container.repository,
		tag: container.tag,
		imageId: container.imageId,
		digest: container.repoDigests.find(d => d.startsWith(`${container.repository}@`))?.split('@')[1] ?? null,
		revision: container.revision ?? null,
		state: container.state,
		health: container.health,
		createdAt: container.createdAt,
		startedAt: container.startedAt ?? null,
		uptimeSeconds: uptimeSeconds(container, now) ?? null,
		restartCount: container.restartCount,
		ports: container.ports,
		...(container.host ? {host: container.host} : {}),
	};
}
