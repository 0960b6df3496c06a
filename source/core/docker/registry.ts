import {createHash} from 'node:crypto';
import type {EnvironmentName, EnvironmentProfile, Profile} from '../config/schema.js';
import {sh} from '../quote.js';
import {scrubber} from '../secrets.js';
import type {Transport} from '../transport/types.js';
import type {Container} from './containers.js';
import {parseImageRef} from './image-ref.js';

/**
 * Is there a newer image? Ask the registry for the tag's manifest digest (index / manifest list first, so a
 * multi-arch tag compares against the digest Docker records in RepoDigests) and compare.
 * Never "up-to-date" unless the registry answered and the running image's digest matched.
 */
export type UpdateState =
	| {state: 'up-to-date'; remoteDigest: string; localDigests: string[]}
	| {state: 'update-available'; remoteDigest: string; localDigests: string[]}
	| {state: 'unknown'; reason: string; remoteDigest?: string; localDigests: string[]};

export const MANIFEST_ACCEPT = [
	'application/vnd.oci.image.index.v1+json',
	'application/vnd.docker.distribution.manifest.list.v2+json',
	'application/vnd.docker.distribution.manifest.v2+json',
	'application/vnd.oci.image.manifest.v1+json',
].join(', ');

const DOCKER_HUB = 'https://registry-1.docker.io';

export interface RegistryCredentials {
	username: string;
	password: string;
}

export interface RegistryOptions {
	signal?: AbortSignal;
	timeoutMs?: number;
	fetch?: typeof fetch;
	/** Asked only when anonymous access is refused. */
	credentials?: (registryHost: string | undefined) => Promise<RegistryCredentials | undefined>;
}

export class RegistryError extends Error {}

/** Where to send manifest requests for an image: the profile's registry.url wins (the laptop may reach it by another name). */
export function registryBaseUrl(profile: Pick<Profile, 'registry'>, image: string): string {
	if (profile.registry.url) return profile.registry.url.replace(/\/+$/u, '');
	const ref = parseImageRef(image);
	return ref.registry ? `https://${ref.registry}` : DOCKER_HUB;
}

function parseChallenge(header: string | null): {scheme: string; params: Record<string, string>} | undefined {
	if (!header) return undefined;
	const space = header.indexOf(' ');
	const scheme = (space === -1 ? header : header.slice(0, space)).toLowerCase();
	const params: Record<string, string> = {};
	for (const m of header.slice(space + 1).matchAll(/(\w+)="([^"]*)"/gu)) params[m[1]!.toLowerCase()] = m[2]!;
	return {scheme, params};
}

function describeFetchError(error: unknown, base: string, timeoutMs: number): string {
	const e = error as {name?: string; message?: string; cause?: {code?: string; message?: string}};
	if (e?.name === 'TimeoutError') return `registry ${base} did not answer within ${Math.round(timeoutMs / 1000)} s`;
	if (e?.name === 'AbortError') return 'the check was cancelled';
	const code = e?.cause?.code ?? '';
	if (code === 'ECONNREFUSED') return `registry ${base} refused the connection`;
	if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `registry host of ${base} could not be resolved`;
	return `registry ${base} could not be reached (${code || e?.cause?.message || e?.message || 'network error'})`;
}

/** The manifest digest the registry serves for `image:tag` (HEAD, or GET when HEAD gives no digest header). */
export async function fetchManifestDigest(profile: Pick<Profile, 'registry'>, image: string, tag: string, options: RegistryOptions = {}): Promise<string> {
	const doFetch = options.fetch ?? fetch;
	const timeoutMs = options.timeoutMs ?? 10_000;
	const ref = parseImageRef(image);
	const base = registryBaseUrl(profile, image);
	const url = `${base}/v2/${ref.path}/manifests/${encodeURIComponent(tag)}`;
	const signal = options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
	const request = async (method: 'HEAD' | 'GET', authorization?: string) => {
		try {
			return await doFetch(url, {method, signal, headers: {Accept: MANIFEST_ACCEPT, ...(authorization ? {Authorization: authorization} : {})}});
		} catch (error) {
			throw new RegistryError(describeFetchError(error, base, timeoutMs));
		}
	};
	const authorize = async (response: Response, credentials?: RegistryCredentials): Promise<string | undefined> => {
		const challenge = parseChallenge(response.headers.get('www-authenticate'));
		if (challenge?.scheme === 'basic') {
			return credentials ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}` : undefined;
		}
		if (challenge?.scheme !== 'bearer' || !challenge.params.realm) return undefined;
		const tokenUrl = new URL(challenge.params.realm);
		if (challenge.params.service) tokenUrl.searchParams.set('service', challenge.params.service);
		tokenUrl.searchParams.set('scope', challenge.params.scope ?? `repository:${ref.path}:pull`);
		let tokenResponse: Response;
		try {
			tokenResponse = await doFetch(tokenUrl, {
				signal,
				headers: credentials ? {Authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`} : {},
			});
		} catch (error) {
			throw new RegistryError(describeFetchError(error, tokenUrl.origin, timeoutMs));
		}
		if (!tokenResponse.ok) return undefined;
		const body = await tokenResponse.json().catch(() => ({})) as {token?: string; access_token?: string};
		const token = body.token ?? body.access_token;
		if (token) scrubber.add(token);
		return token ? `Bearer ${token}` : undefined;
	};

	let authorization: string | undefined;
	let response = await request('HEAD');
	if (response.status === 401) {
		authorization = await authorize(response);
		if (authorization) response = await request('HEAD', authorization);
		if (response.status === 401 || response.status === 403 || !authorization) {
			const credentials = await options.credentials?.(ref.registry);
			if (credentials) {
				scrubber.add(credentials.password);
				const challenge = response.status === 401 ? response : await request('HEAD');
				const withCredentials = await authorize(challenge, credentials);
				if (withCredentials) {
					authorization = withCredentials;
					response = await request('HEAD', authorization);
				}
			}
		}
	}
	if (response.status === 401 || response.status === 403) {
		throw new RegistryError(`registry ${base} refused access to ${ref.path} (${response.status}); no usable credentials in the host's docker config`);
	}
	if (response.status === 404) throw new RegistryError(`registry ${base} has no tag ${tag} for ${ref.path}`);
	if (response.status === 429) throw new RegistryError(`registry ${base} is rate-limiting requests (429)`);
	if (!response.ok && response.status !== 405) throw new RegistryError(`registry ${base} answered ${response.status} for ${ref.path}:${tag}`);
	let digest = response.ok ? response.headers.get('docker-content-digest') : null;
	if (!digest) {
		// Some registries omit the header on HEAD (or refuse HEAD): GET the manifest and hash it ourselves.
		const get = await request('GET', authorization);
		if (!get.ok) throw new RegistryError(`registry ${base} answered ${get.status} for ${ref.path}:${tag}`);
		digest = get.headers.get('docker-content-digest');
		if (!digest) digest = `sha256:${createHash('sha256').update(Buffer.from(await get.arrayBuffer())).digest('hex')}`;
	}
	if (!/^sha256:[0-9a-f]{64}$/u.test(digest)) throw new RegistryError(`registry ${base} sent an unexpected digest for ${ref.path}:${tag}`);
	return digest;
}

/** The running image's digests recorded for `repository` (RepoDigests entries `repository@sha256:...`). */
export function localDigests(container: Pick<Container, 'repoDigests'>, repository: string): string[] {
	return container.repoDigests.filter(d => d.startsWith(`${repository}@`)).map(d => d.slice(repository.length + 1));
}

/** Compare a registry digest with a running container's image. Pure. */
export function compareDigest(container: Pick<Container, 'repoDigests'> | undefined, image: string, remoteDigest: string): UpdateState {
	const repository = parseImageRef(image).repository;
	if (!container) return {state: 'unknown', reason: 'the container was not found on the host', remoteDigest, localDigests: []};
	const local = localDigests(container, repository);
	if (local.length === 0) {
		return {state: 'unknown', reason: `the running image has no digest from ${repository} (built on the host, or pulled under another name)`, remoteDigest, localDigests: []};
	}
	return local.includes(remoteDigest)
		? {state: 'up-to-date', remoteDigest, localDigests: local}
		: {state: 'update-available', remoteDigest, localDigests: local};
}

/** Credentials for a registry from the HOST's ~/.docker/config.json, read over SSH; values are scrubbed at once. */
export async function hostDockerCredentials(transport: Transport, registryHost: string | undefined, signal?: AbortSignal): Promise<RegistryCredentials | undefined> {
	const result = await transport.exec(sh`cat "$HOME/.docker/config.json" 2>/dev/null || true`, {signal, timeoutMs: 10_000});
	let config: {auths?: Record<string, {auth?: string; username?: string; password?: string}>};
	try {
		config = JSON.parse(result.stdout || '{}') as typeof config;
	} catch {
		return undefined;
	}
	const keys = registryHost
		? [registryHost, `https://${registryHost}`, `http://${registryHost}`, `https://${registryHost}/v1/`, `https://${registryHost}/v2/`]
		: ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'https://index.docker.io/v2/', 'registry-1.docker.io'];
	for (const key of keys) {
		const entry = config.auths?.[key];
		if (!entry) continue;
		let username = entry.username;
		let password = entry.password;
		if (entry.auth) {
			const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
			const colon = decoded.indexOf(':');
			if (colon !== -1) {
				username = decoded.slice(0, colon);
				password = decoded.slice(colon + 1);
			}
		}
		if (username && password) {
			scrubber.add(password);
			scrubber.add(entry.auth);
			return {username, password};
		}
	}
	return undefined;
}

export type RemoteDigest = {digest: string} | {reason: string};

/** Ask the registry for an environment's tag digest; never throws (a failure is a reason, in words). */
export async function fetchRemoteDigest(transport: Transport, profile: Profile, env: EnvironmentProfile, options: RegistryOptions = {}): Promise<RemoteDigest> {
	try {
		const digest = await fetchManifestDigest(profile, env.image, env.tag, {
			credentials: registryHost => hostDockerCredentials(transport, registryHost, options.signal).catch(() => undefined),
			...options,
		});
		return {digest};
	} catch (error) {
		const reason = error instanceof RegistryError ? error.message : `registry check failed: ${(error as Error)?.message ?? String(error)}`;
		return {reason: scrubber.scrub(reason)};
	}
}

/** The update state from a registry answer (or its failure) and the running container. Pure. */
export function updateStateFrom(remote: RemoteDigest, env: EnvironmentProfile, container: Container | undefined): UpdateState {
	if ('reason' in remote) {
		return {state: 'unknown', reason: remote.reason, localDigests: container ? localDigests(container, parseImageRef(env.image).repository) : []};
	}
	return compareDigest(container, env.image, remote.digest);
}

/** The update state of one environment's container. Never throws: an unanswerable question is "unknown". */
export async function checkUpdate(
	transport: Transport,
	profile: Profile,
	env: EnvironmentProfile,
	container: Container | undefined,
	options: RegistryOptions = {},
): Promise<UpdateState> {
	return updateStateFrom(await fetchRemoteDigest(transport, profile, env, options), env, container);
}

export async function checkUpdates(
	transportFor: (environment: EnvironmentName) => Transport,
	profile: Profile,
	containers: Container[],
	options: RegistryOptions = {},
): Promise<Record<EnvironmentName, UpdateState>> {
	const [production, staging] = await Promise.all((['production', 'staging'] as const).map(name => {
		const env = profile.environments[name];
		// Credentials for the registry come from the docker config of the host that pulls this environment's image.
		return checkUpdate(transportFor(name), profile, env, containers.find(c => c.name === env.container && (c.environment === name || !c.host)), options);
	}));
	return {production: production!, staging: staging!};
}

export function updateLabel(state: UpdateState | undefined): string {
	if (!state) return 'checking…';
	if (state.state === 'up-to-date') return 'up to date';
	if (state.state === 'update-available') return 'update available';
	return 'unknown';
}
