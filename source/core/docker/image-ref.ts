export interface ImageRef {
	/** Registry host, or undefined for Docker Hub. */
	registry: string | undefined;
	/** Repository path without registry, e.g. `ankugo/jutsu-labs` (Docker Hub's `library/` added for single names). */
	path: string;
	/** `registry/path` as Docker shows it in RepoDigests (`docker.io` omitted). */
	repository: string;
	tag: string | undefined;
	digest: string | undefined;
}

/** Split an image reference like Docker does: `[registry/]path[:tag][@digest]`. */
export function parseImageRef(ref: string): ImageRef {
	let rest = ref;
	let digest: string | undefined;
	const at = rest.indexOf('@');
	if (at !== -1) {
		digest = rest.slice(at + 1);
		rest = rest.slice(0, at);
	}
	let tag: string | undefined;
	const slash = rest.lastIndexOf('/');
	const colon = rest.lastIndexOf(':');
	if (colon > slash) {
		tag = rest.slice(colon + 1);
		rest = rest.slice(0, colon);
	}
	let registry: string | undefined;
	const firstSlash = rest.indexOf('/');
	if (firstSlash !== -1) {
		const head = rest.slice(0, firstSlash);
		if (head.includes('.') || head.includes(':') || head === 'localhost') {
			registry = head;
			rest = rest.slice(firstSlash + 1);
		}
	}
	if (registry === 'docker.io' || registry === 'index.docker.io') registry = undefined;
	const path = registry === undefined && !rest.includes('/') ? `library/${rest}` : rest;
	const repository = registry ? `${registry}/${path}` : path.startsWith('library/') ? path.slice('library/'.length) : path;
	return {registry, path, repository, tag, digest};
}
