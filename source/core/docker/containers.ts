import type {EnvironmentName, Profile} from '../config/schema.js';
import {OpsError} from '../errors.js';
import {sh} from '../quote.js';
import {type EnvVar, maskEnv} from '../secrets.js';
import type {Transport} from '../transport/types.js';
import {parseImageRef} from './image-ref.js';

export interface PortBinding {
	containerPort: string;
	hostIp: string;
	hostPort: string;
}

export interface Mount {
	source: string;
	destination: string;
	type: string;
	readOnly: boolean;
}

export interface Container {
	id: string;
	name: string;
	/** The image reference the container was created from (Config.Image). */
	image: string;
	repository: string;
	tag: string;
	imageId: string;
	/** RepoDigests of the image, e.g. `127.0.0.1:5000/ankugo/jutsu-labs@sha256:...`. */
	repoDigests: string[];
	revision: string | undefined;
	state: string;
	health: 'healthy' | 'unhealthy' | 'starting' | 'none';
	createdAt: string;
	startedAt: string | undefined;
	restartCount: number;
	ports: PortBinding[];
	mounts: Mount[];
	networks: string[];
	restartPolicy: string;
	labels: Record<string, string>;
	/** Env with secret values masked at the source. */
	env: EnvVar[];
	environment: EnvironmentName | undefined;
	/** The host it runs on (`user@host:port`), set when the profile names more than one host. */
	host?: string;
}

const SEPARATOR = '---jutsu-ops-images---';

/** One remote call: every container's inspect, then the inspect of their images. */
export const listScript = sh`command -v docker >/dev/null 2>&1 || { echo 'jutsu-ops: docker: command not found' >&2; exit 127; }
list=$(docker ps -a --no-trunc --format '{{.ID}} {{.Image}}') || exit 3
if [ -z "$list" ]; then echo '[]'; echo ${SEPARATOR}; echo '[]'; exit 0; fi
tmp=$(mktemp) || exit 3
# The two inspects run side by side; the image inspect uses the names docker ps printed.
docker image inspect $(printf '%s\n' "$list" | cut -d' ' -f2 | sort -u) > "$tmp" 2>/dev/null &
docker inspect --type container $(printf '%s\n' "$list" | cut -d' ' -f1)
code=$?
wait
echo ${SEPARATOR}
if [ -s "$tmp" ]; then cat "$tmp"; else echo '[]'; fi
rm -f "$tmp"
exit $code`;

interface RawContainer {
	Id: string;
	Name: string;
	Created: string;
	Image: string;
	RestartCount?: number;
	State: {Status: string; StartedAt?: string; Health?: {Status: string}};
	Config: {Image: string; Env?: string[] | null; Labels?: Record<string, string> | null};
	HostConfig?: {RestartPolicy?: {Name?: string; MaximumRetryCount?: number}; PortBindings?: Record<string, {HostIp: string; HostPort: string}[] | null> | null};
	NetworkSettings?: {Ports?: Record<string, {HostIp: string; HostPort: string}[] | null> | null; Networks?: Record<string, unknown> | null};
	Mounts?: {Type: string; Source: string; Destination: string; RW: boolean}[] | null;
}

interface RawImage {
	Id: string;
	RepoDigests?: string[] | null;
	Config?: {Labels?: Record<string, string> | null};
}

export function environmentOf(profile: Profile, name: string): EnvironmentName | undefined {
	if (profile.environments.production.container === name) return 'production';
	if (profile.environments.staging.container === name) return 'staging';
	return undefined;
}

export function parseContainers(stdout: string, profile: Profile): Container[] {
	const [containersJson = '[]', imagesJson = '[]'] = stdout.split(SEPARATOR);
	let raw: RawContainer[];
	let images: RawImage[];
	try {
		raw = JSON.parse(containersJson) as RawContainer[];
		images = JSON.parse(imagesJson.trim() || '[]') as RawImage[];
	} catch {
		throw new OpsError('remote', 'The host\'s `docker inspect` output could not be read.', {hint: 'Nothing was changed. Check the Docker version on the host.'});
	}
	const byId = new Map(images.map(image => [image.Id, image]));
	return raw.map(c => {
		const image = byId.get(c.Image);
		const ref = parseImageRef(c.Config.Image);
		const name = c.Name.replace(/^\//u, '');
		const portsSource = c.NetworkSettings?.Ports && Object.keys(c.NetworkSettings.Ports).length > 0 ? c.NetworkSettings.Ports : c.HostConfig?.PortBindings ?? {};
		const ports: PortBinding[] = [];
		for (const [containerPort, bindings] of Object.entries(portsSource ?? {})) {
			for (const b of bindings ?? []) ports.push({containerPort, hostIp: b.HostIp, hostPort: b.HostPort});
		}
		// Docker reports each binding once per address family; keep one row per host port.
		const uniquePorts = ports.filter((p, i) => ports.findIndex(q => q.containerPort === p.containerPort && q.hostPort === p.hostPort) === i);
		const labels = {...(image?.Config?.Labels ?? {}), ...(c.Config.Labels ?? {})};
		const policy = c.HostConfig?.RestartPolicy;
		return {
			id: c.Id,
			name,
			image: c.Config.Image,
			repository: ref.repository,
			tag: ref.tag ?? (ref.digest ? '' : 'latest'),
			imageId: c.Image,
			repoDigests: image?.RepoDigests ?? [],
			revision: labels['org.opencontainers.image.revision'],
			state: c.State.Status,
			health: (c.State.Health?.Status as Container['health'] | undefined) ?? 'none',
			createdAt: c.Created,
			startedAt: c.State.StartedAt && !c.State.StartedAt.startsWith('0001') ? c.State.StartedAt : undefined,
			restartCount: c.RestartCount ?? 0,
			ports: uniquePorts,
			mounts: (c.Mounts ?? []).map(m => ({source: m.Source, destination: m.Destination, type: m.Type, readOnly: !m.RW})),
			networks: Object.keys(c.NetworkSettings?.Networks ?? {}),
			restartPolicy: policy?.Name ? (policy.MaximumRetryCount ? `${policy.Name}:${policy.MaximumRetryCount}` : policy.Name) : 'no',
			labels,
			env: maskEnv(c.Config.Env, profile.secretPatterns),
			environment: environmentOf(profile, name),
		};
	}).sort((a, b) => envRank(a) - envRank(b) || a.name.localeCompare(b.name));
}

function envRank(c: Container): number {
	return c.environment === 'production' ? 0 : c.environment === 'staging' ? 1 : 2;
}

export function dockerFailure(stderr: string, code: number | null, host: string): OpsError {
	if (code === 127 || /command not found/u.test(stderr)) {
		return new OpsError('missing-tool', `docker is not installed on ${host} (or not on the PATH of SSH sessions). Nothing was run.`, {
			hint: 'Install Docker on the host, or fix the PATH that sshd gives sessions.',
		});
	}
	if (/Cannot connect to the Docker daemon|permission denied.*docker\.sock/iu.test(stderr)) {
		return new OpsError('remote', `The Docker engine on ${host} is not answering (${stderr.trim().split('\n')[0]}). Nothing was changed.`, {
			hint: 'Start the Docker service on the host (Unraid: Settings > Docker), or use a user allowed to reach the socket.',
		});
	}
	return new OpsError('remote', `docker failed on ${host} (exit ${code ?? 'signal'}): ${stderr.trim().split('\n')[0] ?? ''}`, {hint: 'Nothing was changed. Check the host\'s Docker service.'});
}

export async function listContainers(transport: Transport, profile: Profile, signal?: AbortSignal): Promise<Container[]> {
	const result = await transport.exec(listScript, {signal});
	if (result.code !== 0) throw dockerFailure(result.stderr, result.code, transport.label);
	return parseContainers(result.stdout, profile);
}

export function uptimeSeconds(container: Container, now = Date.now()): number | undefined {
	if (container.state !== 'running' || !container.startedAt) return undefined;
	return Math.max(0, Math.floor((now - Date.parse(container.startedAt)) / 1000));
}
