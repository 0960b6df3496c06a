import {describe, expect, it} from 'vitest';
import {checkUpdate, compareDigest, fetchManifestDigest, MANIFEST_ACCEPT, registryBaseUrl} from '../../source/core/docker/registry.js';
import type {Transport} from '../../source/core/transport/types.js';
import {container, profile} from '../support/fixtures.js';

const INDEX = `sha256:${'a'.repeat(64)}`;
const AMD64 = `sha256:${'b'.repeat(64)}`;
const OTHER = `sha256:${'c'.repeat(64)}`;

type Call = {url: string; method: string; headers: Record<string, string>};

function fakeFetch(handler: (call: Call) => Response | Promise<Response>) {
	const calls: Call[] = [];
	const fn = (async (input: string | URL, init: RequestInit = {}) => {
		const call = {url: String(input), method: init.method ?? 'GET', headers: (init.headers ?? {}) as Record<string, string>};
		calls.push(call);
		return handler(call);
	}) as typeof fetch;
	return {fn, calls};
}

const v2 = {registry: {kind: 'v2' as const, url: 'http://127.0.0.1:5000'}};

describe('registry digest comparison', () => {
	it('matches a multi-arch tag by its index digest, the one Docker records in RepoDigests', () => {
		const running = container({name: 'x', repoDigests: [`ankugo/jutsu-labs@${INDEX}`]});
		expect(compareDigest(running, 'ankugo/jutsu-labs', INDEX).state).toBe('up-to-date');
		// The platform manifest's digest is not what RepoDigests holds: comparing against it would be a false update.
		expect(compareDigest(running, 'ankugo/jutsu-labs', AMD64).state).toBe('update-available');
	});

	it('only looks at RepoDigests of the configured repository', () => {
		const running = container({name: 'x', repoDigests: [`other/repo@${INDEX}`, `127.0.0.1:5000/ankugo/jutsu-labs@${OTHER}`]});
		expect(compareDigest(running, '127.0.0.1:5000/ankugo/jutsu-labs', OTHER).state).toBe('up-to-date');
		expect(compareDigest(running, 'ankugo/jutsu-labs', INDEX)).toMatchObject({state: 'unknown'});
	});

	it('is unknown (never up to date) for a locally built image or a missing container', () => {
		expect(compareDigest(container({name: 'x', repoDigests: []}), 'ankugo/jutsu-labs', INDEX)).toMatchObject({state: 'unknown', reason: expect.stringContaining('no digest')});
		expect(compareDigest(undefined, 'ankugo/jutsu-labs', INDEX)).toMatchObject({state: 'unknown'});
	});

	it('sends the index, manifest-list and manifest Accept headers with HEAD and reads Docker-Content-Digest', async () => {
		const {fn, calls} = fakeFetch(() => new Response(null, {status: 200, headers: {'Docker-Content-Digest': INDEX}}));
		expect(await fetchManifestDigest(v2, '127.0.0.1:5000/ankugo/jutsu-labs', 'staging', {fetch: fn})).toBe(INDEX);
		expect(calls[0]).toMatchObject({url: 'http://127.0.0.1:5000/v2/ankugo/jutsu-labs/manifests/staging', method: 'HEAD'});
		for (const type of ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.manifest.v1+json']) {
			expect(calls[0]!.headers.Accept).toContain(type);
		}
		expect(MANIFEST_ACCEPT.indexOf('index')).toBeLessThan(MANIFEST_ACCEPT.indexOf('manifest.v2'));
	});

	it('follows the Docker Hub anonymous token flow', async () => {
		const {fn, calls} = fakeFetch(call => {
			if (call.url.startsWith('https://auth.docker.io/token')) return Response.json({token: 'anon-token-123'});
			if (call.headers.Authorization === 'Bearer anon-token-123') return new Response(null, {status: 200, headers: {'Docker-Content-Digest': INDEX}});
			return new Response(null, {status: 401, headers: {'WWW-Authenticate': 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io"'}});
		});
		expect(await fetchManifestDigest({registry: {kind: 'dockerhub'}}, 'ankugo/jutsu-labs', 'latest', {fetch: fn})).toBe(INDEX);
		expect(calls[0]!.url).toBe('https://registry-1.docker.io/v2/ankugo/jutsu-labs/manifests/latest');
		const token = new URL(calls[1]!.url);
		expect(token.searchParams.get('scope')).toBe('repository:ankugo/jutsu-labs:pull');
		expect(token.searchParams.get('service')).toBe('registry.docker.io');
	});

	it('uses credentials only when anonymous access is refused', async () => {
		let asked = 0;
		const {fn} = fakeFetch(call => {
			if (call.url.startsWith('https://auth.example/token')) {
				return call.headers.Authorization ? Response.json({token: 'user-token'}) : Response.json({token: 'anon'});
			}
			if (call.headers.Authorization === 'Bearer user-token') return new Response(null, {status: 200, headers: {'Docker-Content-Digest': INDEX}});
			return new Response(null, {status: 401, headers: {'WWW-Authenticate': 'Bearer realm="https://auth.example/token",service="x"'}});
		});
		const digest = await fetchManifestDigest({registry: {kind: 'dockerhub'}}, 'ankugo/private', 'latest', {
			fetch: fn,
			credentials: async () => {
				asked++;
				return {username: 'u', password: 'p4ssw0rd!'};
			},
		});
		expect(digest).toBe(INDEX);
		expect(asked).toBe(1);
	});

	it('hashes the body when HEAD gives no digest header', async () => {
		const body = '{"schemaVersion":2}';
		const {createHash} = await import('node:crypto');
		const {fn} = fakeFetch(call => new Response(call.method === 'GET' ? body : null, {status: 200}));
		expect(await fetchManifestDigest(v2, '127.0.0.1:5000/a/b', 't', {fetch: fn})).toBe(`sha256:${createHash('sha256').update(body).digest('hex')}`);
	});

	it('reports unknown with a reason when the registry cannot be asked', async () => {
		const transport = {exec: async () => ({stdout: '', stderr: '', code: 0, durationMs: 1})} as unknown as Transport;
		const env = profile.environments.staging;
		const running = container({name: env.container, repoDigests: [`ankugo/jutsu-labs@${INDEX}`]});
		const refused = fakeFetch(() => {
			throw Object.assign(new TypeError('fetch failed'), {cause: {code: 'ECONNREFUSED'}});
		});
		const state = await checkUpdate(transport, profile, env, running, {fetch: refused.fn});
		expect(state).toMatchObject({state: 'unknown', reason: expect.stringContaining('refused the connection')});
		const missing = fakeFetch(() => new Response(null, {status: 404}));
		expect(await checkUpdate(transport, profile, env, running, {fetch: missing.fn})).toMatchObject({state: 'unknown', reason: expect.stringContaining('no tag staging')});
		const timedOut = await checkUpdate(transport, profile, env, running, {timeoutMs: 50, fetch: ((url: string, init: RequestInit) => new Promise((_, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason)))) as unknown as typeof fetch});
		expect(timedOut).toMatchObject({state: 'unknown', reason: expect.stringContaining('did not answer')});
	});

	it('prefers the profile registry URL, else https to the image\'s registry, else Docker Hub', () => {
		expect(registryBaseUrl(v2, 'x/y')).toBe('http://127.0.0.1:5000');
		expect(registryBaseUrl({registry: {kind: 'v2'}}, 'ghcr.io/a/b')).toBe('https://ghcr.io');
		expect(registryBaseUrl({registry: {kind: 'dockerhub'}}, 'ankugo/jutsu-labs')).toBe('https://registry-1.docker.io');
	});
});
