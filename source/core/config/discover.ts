/**
 * Propose a profile from what the host shows: the app containers (ENVIRONMENT, else the image tag), their images,
 * tags, published API/dashboard ports and POSTGRES_DATABASE; the PostgreSQL container and its published port; the
 * sync script (the seed's path, else /mnt/user/appdata/* /scripts/*sync*), its log and tables, and its schedule.
 * Read-only: three remote calls, nothing written. Secret env values are masked at the source and never proposed.
 */
import type {Container} from '../docker/containers.js';
import {listContainers} from '../docker/containers.js';
import {parseImageRef} from '../docker/image-ref.js';
import {sh} from '../quote.js';
import {readSchedule} from '../sync/schedule.js';
import type {Transport} from '../transport/types.js';
import {parseProfile} from './load.js';
import {type EnvironmentName, type Profile, SEED_PROFILE} from './schema.js';

export interface Finding {
	/** Dotted profile path, e.g. environments.staging.apiPort */
	path: string;
	value: string | number | string[];
	/** Where the value came from (shown next to it when confirming). */
	source: string;
}

export interface Discovery {
	profile: Profile;
	/** Every field the host told, with its source; fields not listed keep the seed's value. */
	findings: Finding[];
	/** What could not be found (the operator fills these in, or the seed's value stays). */
	missing: string[];
}

const SEED_SCRIPT = '/mnt/user/appdata/jutsu/scripts/sync_staging.sh';

const envValue = (c: Container, name: string) => c.env.find(e => e.name === name && !e.secret)?.value;
const hostPort = (c: Container, containerPort: number) => c.ports.find(p => p.containerPort === `${containerPort}/tcp`);

export function isPostgres(c: Container): boolean {
	return /postgres/iu.test(c.repository) || Boolean(hostPort(c, 5432));
}

/** ENVIRONMENT=production|staging wins; else the tag latest/staging; else not an app environment. */
export function environmentOfContainer(c: Container): EnvironmentName | undefined {
	if (isPostgres(c)) return undefined;
	const declared = envValue(c, 'ENVIRONMENT')?.toLowerCase();
	if (declared === 'production' || declared === 'staging') return declared;
	if (declared) return undefined;
	if (c.tag === 'latest' && c.env.some(e => e.name.startsWith('POSTGRES_'))) return 'production';
	if (c.tag === 'staging') return 'staging';
	return undefined;
}

export interface SyncScriptFacts {
	script?: string;
	log?: string;
	tables?: string[];
	candidates: string[];
}

const MARK = '@@jutsu-ops:';

/** Only the LOG_FILE= and SYNC_TABLES= lines come back (the script may hold a password). */
export function syncScriptProbe() {
	return sh`for f in ${SEED_SCRIPT} /mnt/user/appdata/*/scripts/*sync*; do [ -f "$f" ] && echo "${MARK}script $f"; done
for f in ${SEED_SCRIPT} /mnt/user/appdata/*/scripts/*sync*; do [ -f "$f" ] || continue; echo "${MARK}lines $f"; grep -E '^[[:space:]]*(LOG_FILE|SYNC_TABLES)=' "$f" | head -n 4; break; done
true`;
}

const unquote = (s: string) => s.trim().replace(/^(["'])(.*)\1$/u, '$2');

export function parseSyncScriptProbe(stdout: string): SyncScriptFacts {
	const candidates: string[] = [];
	const facts: SyncScriptFacts = {candidates};
	let inLines = false;
	for (const line of stdout.split('\n')) {
		if (line.startsWith(`${MARK}script `)) {
			const path = line.slice(`${MARK}script `.length).trim();
			if (!candidates.includes(path)) candidates.push(path);
			continue;
		}
		if (line.startsWith(`${MARK}lines `)) {
			facts.script = line.slice(`${MARK}lines `.length).trim();
			inLines = true;
			continue;
		}
		if (!inLines) continue;
		const log = /^\s*LOG_FILE=(.*)$/u.exec(line);
		if (log && !facts.log) {
			const value = unquote(log[1]!.replace(/\s+#.*$/u, ''));
			if (value && !value.includes('$')) facts.log = value;
		}
		const tables = /^\s*SYNC_TABLES=\((.*)\)/u.exec(line);
		if (tables && !facts.tables) facts.tables = tables[1]!.trim().split(/\s+/u).map(unquote).filter(Boolean);
	}
	return facts;
}

function registryFor(repository: string): Profile['registry'] {
	const ref = parseImageRef(repository);
	if (!ref.registry) return {kind: 'dockerhub'};
	const loopback = /^(127\.|localhost|\[::1\])/u.test(ref.registry);
	return {kind: 'v2', url: `${loopback ? 'http' : 'https'}://${ref.registry}`};
}

/** Build the proposal from what was read (pure: the unit tests feed it fakes). */
export function proposeProfile(
	base: Profile,
	containers: readonly Container[],
	sync: SyncScriptFacts,
	schedule: string | undefined,
	/** The containers of staging's own host, when the profile names one: staging is looked for there only. */
	stagingHost?: {label: string; containers: readonly Container[]},
): Discovery {
	const p = structuredClone(base);
	const findings: Finding[] = [];
	const missing: string[] = [];
	const found = (path: string, value: Finding['value'], source: string) => findings.push({path, value, source});

	const byEnv = new Map<EnvironmentName, Container>();
	for (const c of containers) {
		const env = environmentOfContainer(c);
		if (env && !byEnv.has(env) && !(stagingHost && env === 'staging')) byEnv.set(env, c);
	}
	if (stagingHost) {
		const c = stagingHost.containers.find(x => environmentOfContainer(x) === 'staging');
		if (c) {
			byEnv.set('staging', c);
			found('environments.staging.host', stagingHost.label, `${c.name} runs there`);
		}
	}
	for (const env of ['production', 'staging'] as const) {
		const c = byEnv.get(env);
		const e = p.environments[env];
		if (!c) {
			const where = env === 'staging' && stagingHost ? ` on ${stagingHost.label}` : env === 'staging' ? '; if staging runs on another host, add --staging-host ALIAS[:PORT]' : '';
			missing.push(`environments.${env} (no container with ENVIRONMENT=${env} or tag ${env === 'production' ? 'latest' : 'staging'}${where})`);
			continue;
		}
		const how = envValue(c, 'ENVIRONMENT') ? `ENVIRONMENT=${env}` : `tag ${c.tag}`;
		e.container = c.name;
		found(`environments.${env}.container`, c.name, `container with ${how}`);
		e.image = c.repository;
		found(`environments.${env}.image`, c.repository, `${c.name} image`);
		if (c.tag) {
			e.tag = c.tag;
			found(`environments.${env}.tag`, c.tag, `${c.name} image`);
		}
		for (const [field, port] of [['apiPort', 8000], ['uiPort', 3000]] as const) {
			const binding = hostPort(c, port);
			if (binding && Number(binding.hostPort)) {
				e[field] = Number(binding.hostPort);
				found(`environments.${env}.${field}`, e[field], `${c.name} publishes ${port} on ${binding.hostPort}`);
			} else missing.push(`environments.${env}.${field} (${c.name} publishes no ${port}/tcp)`);
		}
		const database = envValue(c, 'POSTGRES_DATABASE') ?? envValue(c, 'POSTGRES_DB');
		if (database) {
			e.database = database;
			found(`environments.${env}.database`, database, `${c.name} POSTGRES_DATABASE`);
		} else missing.push(`environments.${env}.database (${c.name} has no POSTGRES_DATABASE)`);
	}
	const production = byEnv.get('production') ?? byEnv.get('staging');
	if (production) {
		p.registry = registryFor(production.repository);
		found('registry', p.registry.url ?? p.registry.kind, `${production.name} image`);
		const user = envValue(production, 'POSTGRES_USER');
		if (user) {
			p.postgres.user = user;
			found('postgres.user', user, `${production.name} POSTGRES_USER`);
		}
	}

	const pg = containers.find(isPostgres);
	if (pg) {
		p.postgres.container = pg.name;
		found('postgres.container', pg.name, `image ${pg.image}`);
		const binding = hostPort(pg, 5432);
		if (binding && Number(binding.hostPort)) {
			p.postgres.port = Number(binding.hostPort);
			found('postgres.port', p.postgres.port, `${pg.name} publishes 5432 on ${binding.hostIp || '0.0.0.0'}:${binding.hostPort}`);
			const sshHost = base.host.alias;
			const hostIsLoopback = /^(127\.|localhost$|::1$)/u.test(sshHost);
			const boundToLoopback = /^(127\.|::1$)/u.test(binding.hostIp);
			if (boundToLoopback && !hostIsLoopback) {
				p.postgres.via = 'ssh';
				p.postgres.host = '127.0.0.1';
				found('postgres.via', 'ssh', `${pg.name} listens on ${binding.hostIp} only`);
			} else {
				p.postgres.via = 'direct';
				p.postgres.host = sshHost;
				found('postgres.host', sshHost, 'the SSH host');
			}
		} else missing.push(`postgres.port (${pg.name} publishes no 5432/tcp)`);
	} else missing.push('postgres.container (no container whose image names postgres or that publishes 5432)');

	if (sync.script) {
		p.sync.script = sync.script;
		found('sync.script', sync.script, sync.candidates.length > 1 ? `first of ${sync.candidates.join(', ')}` : 'found on the host');
		if (sync.log) {
			p.sync.log = sync.log;
			found('sync.log', sync.log, 'LOG_FILE in the script');
		} else missing.push('sync.log (no LOG_FILE= line in the script)');
		if (sync.tables?.length) {
			p.sync.tables = sync.tables;
			found('sync.tables', sync.tables, 'SYNC_TABLES in the script');
		}
		if (schedule) {
			p.sync.schedule = schedule;
			found('sync.schedule', schedule, 'the schedule that runs the script');
		} else missing.push('sync.schedule (nothing schedules the script)');
	} else missing.push('sync.script (not at the seed\'s path nor under /mnt/user/appdata/*/scripts/)');
	return {profile: parseProfile(p, 'the discovered profile'), findings, missing};
}

/** Read the host and propose a profile; `base` supplies the connection and every field the host cannot tell. */
export async function discoverProfile(transport: Transport, base: Profile, signal?: AbortSignal, stagingTransport?: Transport): Promise<Discovery> {
	const seedLike = parseProfile({...SEED_PROFILE, host: base.host, secretPatterns: base.secretPatterns}, 'discovery');
	const [containers, stagingContainers] = await Promise.all([
		listContainers(transport, seedLike, signal),
		stagingTransport && stagingTransport !== transport ? listContainers(stagingTransport, seedLike, signal) : undefined,
	]);
	const probe = await transport.exec(syncScriptProbe(), {signal});
	const sync = parseSyncScriptProbe(probe.code === 0 ? probe.stdout : '');
	let schedule: string | undefined;
	if (sync.script) {
		const withScript = structuredClone(base);
		withScript.sync.script = sync.script;
		const info = await readSchedule(transport, withScript, signal).catch(() => undefined);
		schedule = info?.source === 'none' ? undefined : info?.expression;
	}
	return proposeProfile(base, containers, sync, schedule, stagingContainers && stagingTransport ? {label: stagingTransport.label, containers: stagingContainers} : undefined);
}
