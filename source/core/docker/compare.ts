import {MASK, type EnvVar} from '../secrets.js';
import {formatDuration, formatPorts, shortRevision} from '../present.js';
import {type Container, uptimeSeconds} from './containers.js';
import {parseImageRef} from './image-ref.js';
import {localDigests, type UpdateState, updateLabel} from './registry.js';

/** Production and staging side by side: pure formatters shared by the Dashboard and tests. */

export type EnvDiffStatus = 'same' | 'different' | 'only-production' | 'only-staging';

export interface EnvDiffRow {
	name: string;
	/** Shown values: secrets are MASK (or "(empty)"), never the value. */
	production: string | undefined;
	staging: string | undefined;
	secret: boolean;
	status: EnvDiffStatus;
}

function shown(v: EnvVar | undefined): string | undefined {
	if (!v) return undefined;
	if (v.secret) return v.set ? MASK : '(empty)';
	return v.value;
}

function equal(a: EnvVar, b: EnvVar): boolean {
	if (a.secret || b.secret) return a.set === b.set && (a.hash ?? '') === (b.hash ?? '');
	return a.value === b.value;
}

/** Every env name of either container, with whether the values match; secrets compare by hash only. */
export function envDiff(production: readonly EnvVar[], staging: readonly EnvVar[]): EnvDiffRow[] {
	const p = new Map(production.map(v => [v.name, v]));
	const s = new Map(staging.map(v => [v.name, v]));
	const names = [...new Set([...p.keys(), ...s.keys()])].sort();
	return names.map(name => {
		const a = p.get(name);
		const b = s.get(name);
		const status: EnvDiffStatus = !a ? 'only-staging' : !b ? 'only-production' : equal(a, b) ? 'same' : 'different';
		return {name, production: shown(a), staging: shown(b), secret: Boolean(a?.secret || b?.secret), status};
	});
}

export function shortDigest(digest: string | undefined): string {
	if (!digest) return '-';
	return digest.replace(/^sha256:/u, '').slice(0, 12);
}

/** The digest of the running image for its own repository, if Docker recorded one. */
export function runningDigest(container: Container): string | undefined {
	return localDigests(container, parseImageRef(container.image).repository)[0] ?? container.repoDigests[0]?.split('@')[1];
}

export interface SideBySideRow {
	label: string;
	production: string;
	staging: string;
}

function cells(container: Container | undefined, update: UpdateState | undefined, now: number, missing = 'not found'): Record<string, string> {
	if (!container) {
		return {container: missing, host: '-', state: '-', tag: '-', digest: '-', revision: '-', uptime: '-', restarts: '-', health: '-', ports: '-', update: updateLabel(update)};
	}
	return {
		container: container.name,
		host: container.host ?? '-',
		state: container.state,
		tag: container.tag || '-',
		digest: shortDigest(runningDigest(container)),
		revision: shortRevision(container.revision),
		uptime: formatDuration(uptimeSeconds(container, now)),
		restarts: String(container.restartCount),
		health: container.health === 'none' ? '-' : container.health,
		ports: formatPorts(container),
		update: updateLabel(update),
	};
}

const ROWS: {key: string; label: string}[] = [
	{key: 'container', label: 'container'},
	{key: 'state', label: 'state'},
	{key: 'tag', label: 'tag'},
	{key: 'digest', label: 'digest'},
	{key: 'revision', label: 'revision'},
	{key: 'uptime', label: 'uptime'},
	{key: 'restarts', label: 'restarts'},
	{key: 'health', label: 'health'},
	{key: 'ports', label: 'ports'},
	{key: 'update', label: 'update'},
];

export function sideBySide(
	production: Container | undefined,
	staging: Container | undefined,
	updates: Partial<Record<'production' | 'staging', UpdateState>> = {},
	now = Date.now(),
	unreachable: readonly ('production' | 'staging')[] = [],
): SideBySideRow[] {
	// A container on a host that did not answer is unknown, not missing.
	const a = cells(production, updates.production, now, unreachable.includes('production') ? 'host unreachable' : undefined);
	const b = cells(staging, updates.staging, now, unreachable.includes('staging') ? 'host unreachable' : undefined);
	// The host row only when the environments may run on different hosts (the profile names more than one).
	const rows = production?.host || staging?.host || unreachable.length > 0 ? [ROWS[0]!, {key: 'host', label: 'host'}, ...ROWS.slice(1)] : ROWS;
	return rows.map(r => ({label: r.label, production: a[r.key]!, staging: b[r.key]!}));
}
