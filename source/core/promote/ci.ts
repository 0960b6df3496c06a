import type {Profile} from '../config/schema.js';
import {fetchManifestDigest, MANIFEST_ACCEPT, RegistryError, registryBaseUrl, type RegistryOptions} from '../docker/registry.js';
import {parseImageRef} from '../docker/image-ref.js';
import {OpsError} from '../errors.js';
import {scrubber} from '../secrets.js';
import {sleep as defaultSleep} from '../time.js';

export const REVISION_LABEL = 'org.opencontainers.image.revision';

export interface TagImage {
	digest: string;
	/** The image config's org.opencontainers.image.revision label. */
	revision: string | undefined;
}

/**
 * The revision label of the image a tag points at: manifest (an index picks linux/amd64) -> config blob.
 * Anonymous or with a registry's anonymous bearer token; the digest comes from registry.ts.
 */
export async function tagRevision(profile: Pick<Profile, 'registry'>, image: string, tag: string, digest: string, options: RegistryOptions = {}): Promise<string | undefined> {
	const doFetch = options.fetch ?? fetch;
	const ref = parseImageRef(image);
	const base = registryBaseUrl(profile, image);
	const timeoutMs = options.timeoutMs ?? 10_000;
	let authorization: string | undefined;
	const get = async (path: string, accept: string): Promise<Response> => {
		const signal = options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
		const url = `${base}/v2/${ref.path}/${path}`;
		let response = await doFetch(url, {signal, headers: {Accept: accept, ...(authorization ? {Authorization: authorization} : {})}});
		if (response.status === 401 && !authorization) {
			const challenge = response.headers.get('www-authenticate') ?? '';
			const realm = /realm="([^"]+)"/u.exec(challenge)?.[1];
			if (realm && /^bearer/iu.test(challenge)) {
				const tokenUrl = new URL(realm);
				const service = /service="([^"]+)"/u.exec(challenge)?.[1];
				if (service) tokenUrl.searchParams.set('service', service);
				tokenUrl.searchParams.set('scope', `repository:${ref.path}:pull`);
				const body = await (await doFetch(tokenUrl, {signal})).json().catch(() => ({})) as {token?: string; access_token?: string};
				const token = body.token ?? body.access_token;
				if (token) {
					scrubber.add(token);
					authorization = `Bearer ${token}`;
					response = await doFetch(url, {signal, headers: {Accept: accept, Authorization: authorization}});
				}
			}
		}
		if (!response.ok) throw new RegistryError(`registry ${base} answered ${response.status} for ${ref.path} ${path}`);
		return response;
	};
	let manifest = await (await get(`manifests/${digest}`, MANIFEST_ACCEPT)).json() as {
		mediaType?: string; manifests?: {digest: string; platform?: {os?: string; architecture?: string}}[]; config?: {digest: string};
	};
	if (manifest.manifests) {
		const pick = manifest.manifests.find(m => m.platform?.os === 'linux' && m.platform.architecture === 'amd64') ?? manifest.manifests[0];
		if (!pick) return undefined;
		manifest = await (await get(`manifests/${pick.digest}`, MANIFEST_ACCEPT)).json() as typeof manifest;
	}
	if (!manifest.config?.digest) return undefined;
	const config = await (await get(`blobs/${manifest.config.digest}`, 'application/json, */*')).json() as {config?: {Labels?: Record<string, string>}};
	return config.config?.Labels?.[REVISION_LABEL];
}

/** The tag's current digest and revision label; throws RegistryError when the registry cannot answer. */
export async function tagImage(profile: Pick<Profile, 'registry'>, image: string, tag: string, options: RegistryOptions = {}): Promise<TagImage> {
	const digest = await fetchManifestDigest(profile, image, tag, options);
	return {digest, revision: await tagRevision(profile, image, tag, digest, options)};
}

export interface WaitCiOptions {
	signal?: AbortSignal;
	timeoutMs: number;
	intervalMs?: number;
	onProgress?: (message: string) => void;
	now?: () => number;
	sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Poll the registry until `image:tag` points at an image whose revision label is `commit`. The config is read
 * only when the digest changes. Throws OpsError('timeout') with what was last seen.
 */
export async function waitForImage(
	lookup: {digest(): Promise<string>; revision(digest: string): Promise<string | undefined>},
	what: {image: string; tag: string; commit: string},
	options: WaitCiOptions,
): Promise<TagImage> {
	const now = options.now ?? Date.now;
	const sleep = options.sleep ?? defaultSleep;
	const started = now();
	const interval = options.intervalMs ?? 2000;
	let seen: {digest: string; revision: string | undefined} | undefined;
	let lastError: string | undefined;
	while (true) {
		if (options.signal?.aborted) throw new OpsError('aborted', `Waiting for CI to push ${what.image}:${what.tag} was interrupted.`);
		try {
			const digest = await lookup.digest();
			if (!seen || seen.digest !== digest) seen = {digest, revision: await lookup.revision(digest)};
			lastError = undefined;
			if (seen.revision === what.commit) return seen;
		} catch (error) {
			if (options.signal?.aborted) continue;
			lastError = error instanceof Error ? error.message : String(error);
		}
		const elapsed = now() - started;
		const state = lastError ? `registry: ${lastError}` : `:${what.tag} is ${seen?.digest.slice(7, 19) ?? '?'} (revision ${seen?.revision?.slice(0, 7) ?? 'none'})`;
		options.onProgress?.(`waiting for CI to push ${what.commit.slice(0, 7)} · ${state} · ${Math.round(elapsed / 1000)}/${Math.round(options.timeoutMs / 1000)} s`);
		if (elapsed >= options.timeoutMs) {
			throw new OpsError('timeout', `CI did not push ${what.image}:${what.tag} for ${what.commit.slice(0, 12)} within ${Math.round(options.timeoutMs / 1000)} s (${state}).`, {
				untouched: 'The merge is pushed; no container was changed.',
				hint: 'Check the CI run (a "[skip ci]" commit builds nothing), then run the same promote command again: the merge is not repeated.',
			});
		}
		await sleep(Math.min(interval, Math.max(0, options.timeoutMs - elapsed) + 10), options.signal);
	}
}
