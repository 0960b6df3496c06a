import {readFileSync} from 'node:fs';
import type Conf from 'conf';
import {z} from 'zod';
import {OpsError} from '../errors.js';
import {type Profile, type ProfileInput, profileSchema, SEED_PROFILE} from './schema.js';

export interface ProfileOverrides {
	host?: string;
	port?: number;
	user?: string;
	identityFile?: string;
	knownHosts?: string;
	/** The staging environment's own host (`alias` or `alias:port`); user, key and known_hosts as the profile's host. */
	stagingHost?: string;
}

export interface LoadOptions {
	/** Read the profile from this JSON file (never written by the tool). */
	configFile?: string;
	/** Name of a stored profile (conf). */
	profile?: string;
	overrides?: ProfileOverrides;
	/** Folder for the conf store (tests); defaults to the OS config dir. */
	storeDir?: string;
}

export interface LoadedProfile {
	profile: Profile;
	name: string;
	source: string;
}

/** Format zod issues as `path: message` lines, naming the file. */
export function formatIssues(error: z.ZodError, source: string): OpsError {
	const first = error.issues.slice(0, 3).map(issue => {
		const where = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
		return `${where}: ${issue.message}`;
	});
	const more = error.issues.length > 3 ? ` (+${error.issues.length - 3} more)` : '';
	return new OpsError('config', `Invalid profile in ${source}: ${first.join('; ')}${more}.`, {
		hint: 'Nothing was connected or changed, and the file was left as it is. Fix the keys named above (see readme "Configuration").',
	});
}

export function parseProfile(input: unknown, source: string): Profile {
	const result = profileSchema.safeParse(input);
	if (!result.success) throw formatIssues(result.error, source);
	return result.data;
}

function readJsonFile(file: string): unknown {
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		throw new OpsError('config', `Cannot read config file ${file} (${code ?? 'error'}).`, {
			hint: 'Nothing was connected or changed. Check the path given to --config.',
		});
	}
	try {
		return JSON.parse(text);
	} catch (error) {
		const detail = error instanceof Error ? error.message.split('\n')[0] : 'parse error';
		throw new OpsError('config', `Config file ${file} is not valid JSON (${detail}).`, {
			hint: 'Nothing was connected or changed, and the file was left as it is. Fix the JSON and run again.',
		});
	}
}

type ConfClass = typeof import('conf').default;
let ConfModule: ConfClass | undefined;

/** conf (and its JSON-schema validator) is loaded only when a stored profile is used: --config runs start faster. */
export async function loadStoreModule(): Promise<void> {
	ConfModule ??= (await import('conf')).default;
}

export function openStore(storeDir?: string): Conf<{profiles: Record<string, ProfileInput>; current?: string}> {
	try {
		if (!ConfModule) throw new Error('internal: loadStoreModule() must run before the profile store is opened');
		return new ConfModule<{profiles: Record<string, ProfileInput>; current?: string}>({
			projectName: 'jutsu-ops',
			projectSuffix: '',
			...(storeDir ? {cwd: storeDir} : {}),
			defaults: {profiles: {}},
			clearInvalidConfig: false,
		});
	} catch (error) {
		const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
		throw new OpsError('config', `The stored profiles cannot be read (${detail}).`, {
			hint: 'Nothing was changed and the store was not overwritten. Fix or move the file, or use --config FILE.',
		});
	}
}

function applyOverrides(profile: Profile, overrides: ProfileOverrides | undefined): Profile {
	if (!overrides) return profile;
	const host = {...profile.host};
	if (overrides.host) host.alias = overrides.host;
	if (overrides.port) host.port = overrides.port;
	if (overrides.user) host.user = overrides.user;
	if (overrides.identityFile) host.identityFile = overrides.identityFile;
	if (overrides.knownHosts) host.knownHosts = overrides.knownHosts;
	if (!overrides.stagingHost) return {...profile, host};
	const m = /^(?<alias>[^:\s]+)(?::(?<port>\d+))?$/u.exec(overrides.stagingHost);
	const port = m?.groups?.port ? Number(m.groups.port) : undefined;
	if (!m || (port !== undefined && (port < 1 || port > 65_535))) {
		throw new OpsError('usage', `--staging-host must be ALIAS or ALIAS:PORT, not "${overrides.stagingHost}". Nothing was run.`);
	}
	const {port: _mainPort, ...shared} = host;
	const stagingHost = {...shared, alias: m.groups!.alias!, ...(port === undefined ? {} : {port})};
	return {...profile, host, environments: {...profile.environments, staging: {...profile.environments.staging, host: stagingHost}}};
}

export function loadProfile(options: LoadOptions = {}): LoadedProfile {
	if (options.configFile) {
		const profile = parseProfile(readJsonFile(options.configFile), options.configFile);
		return {profile: applyOverrides(profile, options.overrides), name: 'file', source: options.configFile};
	}
	const store = openStore(options.storeDir);
	const name = options.profile ?? store.get('current') ?? 'default';
	const stored = store.get('profiles')[name];
	if (!stored && options.profile) {
		throw new OpsError('config', `No stored profile named "${options.profile}" in ${store.path}.`, {
			hint: 'Nothing was connected. Create it with `jutsu-ops init --profile NAME`, or pass --config FILE.',
		});
	}
	const profile = parseProfile(stored ?? SEED_PROFILE, stored ? `${store.path} (profile "${name}")` : 'the seed defaults');
	return {profile: applyOverrides(profile, options.overrides), name, source: stored ? store.path : 'seed defaults'};
}

export function saveProfile(name: string, profile: Profile, storeDir?: string): string {
	const checked = parseProfile(profile, `profile "${name}"`);
	const store = openStore(storeDir);
	store.set(`profiles.${name}`, checked);
	store.set('current', name);
	return store.path;
}
