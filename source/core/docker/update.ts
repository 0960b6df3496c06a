import {httpOnHost} from '../app/probe.js';
import type {EnvironmentName} from '../config/schema.js';
import {OpsError} from '../errors.js';
import {type ShellScript, sh} from '../quote.js';
import {scrubber} from '../secrets.js';
import type {Session} from '../session.js';
import {dockerFailure} from './containers.js';
import {sessionForContainer, sessionOn} from '../hosts.js';
import {takeLease} from './lease.js';
import {sleep} from '../time.js';

/**
 * Restart and update (pull + recreate, with rollback) of a container. UI-free: the TUI, the CLI and the
 * promotion flow call these. Raw env values never leave the host: the new container's create request is built
 * on the host from `docker inspect` (jq) and sent to the Docker Engine API (curl on the socket) in one pipe.
 */

export const UNRAID_UPDATE_SCRIPT = '/usr/local/emhttp/plugins/dynamix.docker.manager/scripts/update_container';
const REVISION_LABEL = 'org.opencontainers.image.revision';

export type UpdateOutcome = 'updated' | 'rolled-back' | 'unchanged';

export interface UpdateProgress {
	step: 'check' | 'pull' | 'stop-old' | 'create' | 'start' | 'wait' | 'cleanup' | 'rollback' | 'unraid' | 'done';
	message: string;
}

export interface UpdateResult {
	outcome: UpdateOutcome;
	environment: EnvironmentName;
	container: string;
	image: string;
	method: 'recreate' | 'unraid' | 'none';
	fromImageId: string;
	toImageId: string;
	fromRevision: string | undefined;
	toRevision: string | undefined;
	/** Why the update was rolled back. */
	reason?: string;
	durationMs: number;
}

export interface UpdateOptions {
	signal?: AbortSignal;
	onProgress?: (progress: UpdateProgress) => void;
	/** How long the new container has to be running and answer its health endpoint. */
	healthTimeoutMs?: number;
	/** Production only: must equal the container's name (the operator typed it, or passed --confirm). */
	confirm?: string;
}

export const DEFAULT_HEALTH_TIMEOUT_MS = 90_000;

/** Refuse dangerous work in a read-only session, or on production without the typed name. */
export function guardAction(session: Session, environment: EnvironmentName | undefined, container: string, confirm: string | undefined, what: string): void {
	if (session.readOnly) {
		throw new OpsError('usage', `This session is read-only: ${what} of ${container} was refused.`, {untouched: 'Nothing was changed.', hint: 'Run without --read-only to act.'});
	}
	if (environment === 'production' && confirm !== container) {
		throw new OpsError('usage', `${what} of the PRODUCTION container ${container} needs its name as confirmation.`, {
			untouched: 'Nothing was changed.',
			hint: `Pass --confirm ${container} (in the console: type the name).`,
		});
	}
}

const DOCKER_CHECK = sh`command -v docker >/dev/null 2>&1 || { echo 'jutsu-ops: docker: command not found' >&2; exit 127; }`;

/** jq program: the Engine API create body from [container inspect] + [old image inspect], dropping what the old image set. */
export const CREATE_BODY_JQ = `
.[0][0] as $c | ((.[1] // [])[0] // {}) as $oi | ($oi.Config // {}) as $ic | $c.Config as $cfg |
($c.HostConfig.NetworkMode // "default") as $mode |
(if $mode == "default" then "bridge" else $mode end) as $primary |
((($c.HostConfig.Binds // []) | map(split(":")[1])) + (($c.HostConfig.Mounts // []) | map(.Target))) as $taken |
[ ($c.Mounts // [])[] | select(.Type == "volume" and ((.Name // "") | test("^[0-9a-f]{64}$"))) | . as $m
  | select(($taken | index([$m.Destination])) | not) | "\\($m.Name):\\($m.Destination)" ] as $anon |
{
  Hostname: (if $cfg.Hostname == ($c.Id[0:12]) then "" else $cfg.Hostname end),
  Domainname: ($cfg.Domainname // ""),
  User: (if ($cfg.User // "") == ($ic.User // "") then "" else $cfg.User end),
  AttachStdin: ($cfg.AttachStdin // false), AttachStdout: ($cfg.AttachStdout // false), AttachStderr: ($cfg.AttachStderr // false),
  Tty: ($cfg.Tty // false), OpenStdin: ($cfg.OpenStdin // false), StdinOnce: ($cfg.StdinOnce // false),
  Env: [ ($cfg.Env // [])[] | . as $e | select(any(($ic.Env // [])[]; . == $e) | not) ],
  Cmd: (if $cfg.Cmd == $ic.Cmd then null else $cfg.Cmd end),
  Entrypoint: (if $cfg.Entrypoint == $ic.Entrypoint then null else $cfg.Entrypoint end),
  WorkingDir: (if ($cfg.WorkingDir // "") == ($ic.WorkingDir // "") then "" else $cfg.WorkingDir end),
  Labels: (($cfg.Labels // {}) | with_entries(select(.key as $k | .value != (($ic.Labels // {})[$k])))),
  ExposedPorts: (($cfg.ExposedPorts // {}) | with_entries(select(.key as $k | ($ic.ExposedPorts // {}) | has($k) | not))),
  Volumes: (($cfg.Volumes // {}) | with_entries(select(.key as $k | ($ic.Volumes // {}) | has($k) | not))),
  Healthcheck: (if $cfg.Healthcheck == $ic.Healthcheck then null else $cfg.Healthcheck end),
  StopSignal: (if $cfg.StopSignal == $ic.StopSignal then null else $cfg.StopSignal end),
  StopTimeout: $cfg.StopTimeout,
  Image: $image,
  HostConfig: ($c.HostConfig + {Binds: ((($c.HostConfig.Binds // []) + $anon) | if length == 0 then null else . end)}),
  NetworkingConfig: (if ($mode | test("^(host|none|container:)")) then null else
    {EndpointsConfig: (($c.NetworkSettings.Networks // {}) | with_entries(select(.key == $primary))
      | map_values({IPAMConfig: .IPAMConfig, Links: .Links,
          Aliases: ((.Aliases // []) | map(select(. != ($c.Id[0:12]))) | if length == 0 then null else . end)}))} end)
}`;

/** The other networks to connect after create: one compact JSON line each. */
export const EXTRA_NETWORKS_JQ = `
.[0] as $c | ($c.HostConfig.NetworkMode // "default") as $mode |
(if $mode == "default" then "bridge" else $mode end) as $primary |
if ($mode | test("^(host|none|container:)")) then empty else
($c.NetworkSettings.Networks // {}) | to_entries[] | select(.key != $primary)
| {network: .key, body: {Container: $name, EndpointConfig: {IPAMConfig: .value.IPAMConfig, Links: .value.Links,
    Aliases: ((.value.Aliases // []) | map(select(. != ($c.Id[0:12]))) | if length == 0 then null else . end)}}} end`;

/**
 * Create (not start) `name` on `image` from the config of `source` (a container, or an inspect JSON file),
 * connect its other networks, and start it. Prints only the new container's id.
 */
export function createFromScript(source: {container: string} | {file: string}, name: string, image: string): ShellScript {
	const inspect = 'container' in source ? sh`docker inspect --type container ${source.container}` : sh`cat ${source.file}`;
	return sh`${DOCKER_CHECK}
for t in jq curl; do command -v "$t" >/dev/null 2>&1 || { echo "jutsu-ops: $t: command not found" >&2; exit 127; }; done
case "\${DOCKER_HOST:-}" in unix://*) sock="\${DOCKER_HOST#unix://}" ;; *) sock=/var/run/docker.sock ;; esac
api() { curl -sS --unix-socket "$sock" -H 'Content-Type: application/json' "$@"; }
src=$(${inspect}) || { echo 'jutsu-ops: could not read the old container config' >&2; exit 3; }
oldimg=$(printf '%s' "$src" | jq -r '.[0].Image') || exit 3
resp=$( { printf '%s' "$src"; docker image inspect "$oldimg" 2>/dev/null || echo '[]'; } \\
  | jq -s --arg image ${image} ${CREATE_BODY_JQ} \\
  | api -X POST --data-binary @- ${`http://localhost/containers/create?name=${name}`}) \\
  || { echo 'jutsu-ops: the Docker Engine API on the host socket did not answer' >&2; exit 6; }
id=$(printf '%s' "$resp" | jq -r '.Id // empty' 2>/dev/null)
[ -n "$id" ] || { printf '%s' "$resp" | jq -r '"jutsu-ops: docker refused to create the container: " + (.message // "unknown error")' >&2 2>/dev/null || echo 'jutsu-ops: docker refused to create the container' >&2; exit 7; }
printf '%s' "$src" | jq -c --arg name ${name} ${EXTRA_NETWORKS_JQ} | while IFS= read -r line; do
  net=$(printf '%s' "$line" | jq -r '.network | @uri')
  printf '%s' "$line" | jq -c '.body' | api -X POST --data-binary @- "http://localhost/networks/$net/connect" >/dev/null || echo "jutsu-ops: could not connect network $net" >&2
done
docker start ${name} >/dev/null || { echo 'jutsu-ops: docker start failed' >&2; exit 8; }
echo "$id"`;
}

interface Prepared {
	containerId: string;
	fromImageId: string;
	toImageId: string;
	fromRevision: string | undefined;
	toRevision: string | undefined;
	unraid: boolean;
}

function field(stdout: string, key: string): string | undefined {
	const line = stdout.split('\n').find(l => l.startsWith(`${key}=`));
	const value = line?.slice(key.length + 1).trim();
	return value === '' || value === '<no value>' ? undefined : value;
}

async function run(session: Session, script: ShellScript | readonly string[], options: {signal?: AbortSignal; timeoutMs?: number} = {}) {
	const result = await session.transport.exec(script, {signal: options.signal, timeoutMs: options.timeoutMs ?? 120_000});
	return {...result, stderr: scrubber.scrub(result.stderr), stdout: result.stdout};
}

function firstError(stderr: string): string {
	const lines = stderr.split('\n').map(l => l.trim()).filter(Boolean);
	return (lines.find(l => l.startsWith('jutsu-ops:')) ?? lines.at(-1) ?? '').replace(/^jutsu-ops: /u, '');
}

async function prepare(session: Session, name: string, ref: string, signal?: AbortSignal): Promise<Prepared> {
	const revisionFormat = `{{index .Config.Labels "${REVISION_LABEL}"}}`;
	const script = sh`${DOCKER_CHECK}
cid=$(docker inspect --type container -f '{{.Id}}' ${name} 2>/dev/null) || { echo 'jutsu-ops: no such container' >&2; exit 4; }
echo "container=$cid"
old=$(docker inspect --type container -f '{{.Image}}' ${name}) || exit 3
echo "from=$old"
echo "fromRevision=$(docker image inspect -f ${revisionFormat} "$old" 2>/dev/null)"
docker pull ${ref} >&2 || { echo 'jutsu-ops: docker pull failed' >&2; exit 5; }
echo "to=$(docker image inspect -f '{{.Id}}' ${ref})"
echo "toRevision=$(docker image inspect -f ${revisionFormat} ${ref} 2>/dev/null)"
if [ -x ${UNRAID_UPDATE_SCRIPT} ]; then echo unraid=yes; else echo unraid=no; fi`;
	const result = await run(session, script, {signal, timeoutMs: 15 * 60_000});
	if (result.code === 4) {
		throw new OpsError('failure', `The container ${name} does not exist on ${session.transport.label}.`, {untouched: 'Nothing was changed.', hint: 'Check the environment\'s container name in the profile.'});
	}
	if (result.code === 5) {
		throw new OpsError('failure', `Pulling ${ref} on the host failed: ${firstError(result.stderr.replace(/jutsu-ops: docker pull failed\n?/u, '')) || 'docker pull failed'}.`, {
			untouched: `${name} was not touched.`, hint: 'Check the registry and the host\'s network, then try again.',
		});
	}
	if (result.code !== 0) throw dockerFailure(result.stderr, result.code, session.transport.label);
	const containerId = field(result.stdout, 'container');
	const fromImageId = field(result.stdout, 'from');
	const toImageId = field(result.stdout, 'to');
	if (!containerId || !fromImageId || !toImageId) throw new OpsError('remote', 'The host\'s answer about the container and image could not be read.', {untouched: 'Nothing was changed.'});
	return {
		containerId, fromImageId, toImageId,
		fromRevision: field(result.stdout, 'fromRevision'),
		toRevision: field(result.stdout, 'toRevision'),
		unraid: field(result.stdout, 'unraid') === 'yes',
	};
}

export interface ContainerState {
	exists: boolean;
	status: string;
	health: string;
	imageId: string;
	exitCode: number;
}

export async function containerState(session: Session, name: string, signal?: AbortSignal): Promise<ContainerState> {
	const result = await run(session, sh`docker inspect --type container -f '{{.State.Status}}|{{if .State.Health}}{{.State.Health.Status}}{{end}}|{{.Image}}|{{.State.ExitCode}}' ${name}`, {signal, timeoutMs: 20_000});
	if (result.code !== 0) return {exists: false, status: 'missing', health: '', imageId: '', exitCode: 0};
	const [status = '', health = '', imageId = '', exitCode = '0'] = result.stdout.trim().split('|');
	return {exists: true, status, health, imageId, exitCode: Number(exitCode)};
}

/**
 * Wait until `name` is running and the app's health endpoint answers 2xx. Returns undefined when healthy, or
 * the reason it is not. The signal cuts the wait short (reported as a reason, so the caller rolls back).
 */
export async function waitHealthy(
	session: Session,
	name: string,
	apiPort: number,
	timeoutMs: number,
	signal?: AbortSignal,
	onProgress?: (message: string) => void,
): Promise<string | undefined> {
	const deadline = Date.now() + timeoutMs;
	let last = 'it did not start';
	while (Date.now() < deadline) {
		if (signal?.aborted) return 'the update was cancelled while waiting for the new container';
		const state = await containerState(session, name);
		if (!state.exists) return 'the new container disappeared';
		if (state.status === 'exited' || state.status === 'dead') return `the new container exited (code ${state.exitCode})`;
		if (state.status === 'running') {
			const probe = await httpOnHost(session.transport, apiPort, session.profile.app.healthPath, {timeoutSeconds: 3});
			if (probe.status !== undefined && probe.status >= 200 && probe.status < 300) return undefined;
			last = probe.status === undefined
				? `its health endpoint :${apiPort}${session.profile.app.healthPath} did not answer (${probe.error ?? 'no answer'})`
				: `its health endpoint :${apiPort}${session.profile.app.healthPath} answered ${probe.status}`;
			onProgress?.(`waiting: ${last}`);
		} else {
			last = `it is ${state.status}`;
		}
		await sleep(1000, signal);
	}
	return `within ${Math.round(timeoutMs / 1000)} s ${last}`;
}

function record(session: Session, action: string, detail: string, outcome: 'ok' | 'failed', durationMs: number): void {
	session.audit.record({kind: 'action', host: session.transport.label, action, detail, outcome, durationMs});
}

/**
 * Pull the environment's tag and move its container onto the new image, keeping the old container until the
 * new one is running and healthy; if it is not within the timeout, bring the old one back.
 */
export async function updateContainer(all: Session, environment: EnvironmentName, options: UpdateOptions = {}): Promise<UpdateResult> {
	const session = sessionOn(all, environment);
	const started = Date.now();
	const env = session.profile.environments[environment];
	const name = env.container;
	const ref = `${env.image}:${env.tag}`;
	guardAction(session, environment, name, options.confirm, 'Update');
	const progress = reporter(options);
	const healthTimeoutMs = options.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
	await session.transport.connect(options.signal);
	// one change to a container at a time (another terminal, another operator, a promotion): refused, not raced
	const lease = await takeLease(session.transport, name, `update to ${ref}`, options.signal);
	if (lease.note) progress('check', lease.note);
	try {
		return await updateLeased(session, environment, name, ref, started, healthTimeoutMs, progress, options);
	} finally {
		await lease.release();
	}
}

async function updateLeased(
	session: Session,
	environment: EnvironmentName,
	name: string,
	ref: string,
	started: number,
	healthTimeoutMs: number,
	progress: (step: UpdateProgress['step'], message: string) => void,
	options: UpdateOptions,
): Promise<UpdateResult> {
	progress('pull', `pulling ${ref} on the host`);
	const prepared = await prepare(session, name, ref, options.signal);
	const base = {
		environment, container: name, image: ref,
		fromImageId: prepared.fromImageId, toImageId: prepared.toImageId,
		fromRevision: prepared.fromRevision, toRevision: prepared.toRevision,
	};
	if (prepared.fromImageId === prepared.toImageId) {
		progress('done', `${name} already runs ${ref} (${short(prepared.toImageId)})`);
		const result: UpdateResult = {...base, outcome: 'unchanged', method: 'none', durationMs: Date.now() - started};
		record(session, 'update', `${name}: unchanged, already on ${ref} ${short(prepared.toImageId)}`, 'ok', result.durationMs);
		return result;
	}
	if (options.signal?.aborted) throw new OpsError('aborted', `Update of ${name} cancelled after the pull.`, {untouched: `${name} was not touched.`});
	return prepared.unraid
		? updateOnUnraid(session, environment, prepared, base, healthTimeoutMs, started, options)
		: updateByRecreate(session, environment, prepared, base, healthTimeoutMs, started, options);
}

function reporter(options: UpdateOptions): (step: UpdateProgress['step'], message: string) => void {
	return (step, message) => options.onProgress?.({step, message});
}

/** `20261204T173000`: names the kept container or rollback tag. */
function compactStamp(): string {
	return new Date().toISOString().replace(/[-:]/gu, '').replace(/\..*$/u, '');
}

function short(id: string): string {
	return id.replace(/^sha256:/u, '').slice(0, 12);
}

async function updateByRecreate(
	session: Session,
	environment: EnvironmentName,
	prepared: Prepared,
	base: Omit<UpdateResult, 'outcome' | 'method' | 'durationMs' | 'reason'>,
	healthTimeoutMs: number,
	started: number,
	options: UpdateOptions,
): Promise<UpdateResult> {
	const env = session.profile.environments[environment];
	const name = env.container;
	const progress = reporter(options);
	const stamp = compactStamp();
	const old = `${name}-jutsu-old-${stamp}`;

	progress('stop-old', `keeping the old container as ${old} and stopping it`);
	const renamed = await run(session, sh`${DOCKER_CHECK}
docker rename ${name} ${old} || exit 3`, {timeoutMs: 30_000});
	if (renamed.code !== 0) {
		throw new OpsError('failure', `Could not rename ${name} to keep it for rollback: ${firstError(renamed.stderr)}.`, {untouched: `${name} was not touched.`});
	}
	// From here on the old container must come back if anything goes wrong, whatever the caller's signal says.
	let reason: string | undefined;
	const stopped = await run(session, sh`docker stop -t 30 ${old} >/dev/null`, {timeoutMs: 90_000}).catch((error: unknown) => ({code: -1, stderr: String((error as Error).message), stdout: ''}));
	if (stopped.code !== 0) reason = `the old container did not stop: ${firstError(stopped.stderr)}`;

	if (!reason) {
		progress('create', `creating ${name} on ${base.image} (${short(prepared.toImageId)}) with the old container's settings`);
		const created = await run(session, createFromScript({container: old}, name, base.image), {timeoutMs: 120_000}).catch((error: unknown) => ({code: -1, stderr: String((error as Error).message), stdout: ''}));
		if (created.code !== 0) reason = `the new container could not be created or started: ${firstError(created.stderr)}`;
	}
	if (!reason) {
		progress('wait', `waiting up to ${Math.round(healthTimeoutMs / 1000)} s for ${name} to run and answer :${env.apiPort}${session.profile.app.healthPath}`);
		reason = await waitHealthy(session, name, env.apiPort, healthTimeoutMs, options.signal, message => progress('wait', message));
	}
	if (!reason) {
		progress('cleanup', `healthy; removing the old container ${old}`);
		const removed = await run(session, sh`docker rm ${old} >/dev/null`, {timeoutMs: 60_000}).catch(() => ({code: -1}));
		const result: UpdateResult = {...base, outcome: 'updated', method: 'recreate', durationMs: Date.now() - started};
		record(session, 'update', `${name}: updated ${base.image} ${short(prepared.fromImageId)} -> ${short(prepared.toImageId)} (revision ${base.fromRevision?.slice(0, 7) ?? '-'} -> ${base.toRevision?.slice(0, 7) ?? '-'})${removed.code === 0 ? '' : `; the old container ${old} could not be removed`}`, 'ok', result.durationMs);
		progress('done', `${name} now runs revision ${base.toRevision?.slice(0, 7) ?? '-'}`);
		return result;
	}

	progress('rollback', `rolling back: ${reason}`);
	const rollback = await run(session, sh`docker rm -f ${name} >/dev/null 2>&1
docker rename ${old} ${name} || { echo 'jutsu-ops: could not rename the old container back' >&2; exit 3; }
docker start ${name} >/dev/null || { echo 'jutsu-ops: could not start the old container' >&2; exit 4; }`, {timeoutMs: 120_000}).catch((error: unknown) => ({code: -1, stderr: String((error as Error).message), stdout: ''}));
	if (rollback.code !== 0) {
		record(session, 'rollback', `${name}: rollback FAILED (${firstError(rollback.stderr)}) after: ${reason}`, 'failed', Date.now() - started);
		throw new OpsError('failure', `The update of ${name} failed (${reason}) and the rollback failed too: ${firstError(rollback.stderr)}.`, {
			hint: `The old container is kept as ${old}: run \`docker rm -f ${name}; docker rename ${old} ${name}; docker start ${name}\` on the host.`,
		});
	}
	const back = await waitHealthy(session, name, env.apiPort, Math.max(healthTimeoutMs, 30_000));
	const result: UpdateResult = {...base, outcome: 'rolled-back', method: 'recreate', reason, durationMs: Date.now() - started};
	record(session, 'rollback', `${name}: rolled back to ${short(prepared.fromImageId)} (revision ${base.fromRevision?.slice(0, 7) ?? '-'}) because ${reason}${back ? `; after rollback ${back}` : ''}`, back ? 'failed' : 'ok', result.durationMs);
	progress('done', `${name} is back on revision ${base.fromRevision?.slice(0, 7) ?? '-'}${back ? ` but ${back}` : ''}`);
	return result;
}

async function updateOnUnraid(
	session: Session,
	environment: EnvironmentName,
	prepared: Prepared,
	base: Omit<UpdateResult, 'outcome' | 'method' | 'durationMs' | 'reason'>,
	healthTimeoutMs: number,
	started: number,
	options: UpdateOptions,
): Promise<UpdateResult> {
	const env = session.profile.environments[environment];
	const name = env.container;
	const progress = reporter(options);
	const stamp = compactStamp();
	const keepTag = `${env.image}:jutsu-rollback-${stamp}`;
	// Keep the old config (mode 600, on the host only) and a tag on the old image, for a rollback.
	const saved = await run(session, sh`umask 077
f=$(mktemp /tmp/jutsu-ops-rollback.XXXXXX) || exit 3
docker inspect --type container ${name} > "$f" || exit 3
docker tag ${prepared.fromImageId} ${keepTag} || exit 3
echo "$f"`, {timeoutMs: 30_000});
	if (saved.code !== 0) throw new OpsError('failure', `Could not keep a rollback copy of ${name}: ${firstError(saved.stderr)}.`, {untouched: `${name} was not touched.`});
	const file = saved.stdout.trim();
	progress('unraid', `running Unraid's update_container ${name}`);
	await run(session, sh`${UNRAID_UPDATE_SCRIPT} ${name} >/dev/null 2>&1`, {timeoutMs: 15 * 60_000}).catch(() => undefined);
	// update_container exits 0 whatever happens: check with docker inspect.
	const state = await containerState(session, name);
	let reason: string | undefined;
	if (!state.exists) reason = 'update_container left no container';
	else if (state.imageId !== prepared.toImageId) reason = `update_container left ${name} on image ${short(state.imageId)}, not ${short(prepared.toImageId)}`;
	if (!reason) {
		progress('wait', `waiting up to ${Math.round(healthTimeoutMs / 1000)} s for ${name} to answer :${env.apiPort}${session.profile.app.healthPath}`);
		reason = await waitHealthy(session, name, env.apiPort, healthTimeoutMs, options.signal, message => progress('wait', message));
	}
	const cleanup = sh`rm -f ${file}; docker rmi ${keepTag} >/dev/null 2>&1 || true`;
	if (!reason) {
		await run(session, cleanup, {timeoutMs: 30_000}).catch(() => undefined);
		const result: UpdateResult = {...base, outcome: 'updated', method: 'unraid', durationMs: Date.now() - started};
		record(session, 'update', `${name}: updated by update_container ${short(prepared.fromImageId)} -> ${short(prepared.toImageId)}`, 'ok', result.durationMs);
		return result;
	}
	progress('rollback', `rolling back: ${reason}`);
	const rollback = await run(session, sh`docker rm -f ${name} >/dev/null 2>&1
docker tag ${keepTag} ${base.image} || exit 3
${createFromScript({file}, name, base.image)}`, {timeoutMs: 180_000});
	if (rollback.code !== 0) {
		record(session, 'rollback', `${name}: rollback FAILED (${firstError(rollback.stderr)}) after: ${reason}`, 'failed', Date.now() - started);
		throw new OpsError('failure', `The update of ${name} failed (${reason}) and the rollback failed too: ${firstError(rollback.stderr)}.`, {
			hint: `The old image is tagged ${keepTag} and its config is in ${file} on the host; re-create it from Unraid's Docker page.`,
		});
	}
	await run(session, cleanup, {timeoutMs: 30_000}).catch(() => undefined);
	const back = await waitHealthy(session, name, env.apiPort, Math.max(healthTimeoutMs, 30_000));
	const result: UpdateResult = {...base, outcome: 'rolled-back', method: 'unraid', reason, durationMs: Date.now() - started};
	record(session, 'rollback', `${name}: rolled back to ${short(prepared.fromImageId)} because ${reason} (re-created from its old config; check its template on Unraid's Docker page)${back ? `; after rollback ${back}` : ''}`, back ? 'failed' : 'ok', result.durationMs);
	return result;
}

export interface RestartResult {
	container: string;
	status: string;
	durationMs: number;
}

/** `docker restart` with a grace period, then a check that it runs. */
export async function restartContainer(
	all: Session,
	name: string,
	options: {signal?: AbortSignal; confirm?: string} = {},
): Promise<RestartResult> {
	const session = sessionForContainer(all, name);
	const environment = session.profile.environments.production.container === name ? 'production'
		: session.profile.environments.staging.container === name ? 'staging' : undefined;
	guardAction(session, environment, name, options.confirm, 'Restart');
	const started = Date.now();
	await session.transport.connect(options.signal);
	const lease = await takeLease(session.transport, name, 'restart', options.signal);
	const result = await run(session, sh`${DOCKER_CHECK}
docker restart -t 30 ${name} >/dev/null || exit 3
docker inspect --type container -f '{{.State.Status}}' ${name}`, {signal: options.signal, timeoutMs: 120_000}).finally(() => lease.release());
	const status = result.stdout.trim().split('\n').at(-1) ?? '';
	const durationMs = Date.now() - started;
	if (result.code !== 0 || status !== 'running') {
		record(session, 'restart', `${name}: failed (${firstError(result.stderr) || status})`, 'failed', durationMs);
		if (result.code === 127) throw dockerFailure(result.stderr, result.code, session.transport.label);
		throw new OpsError('failure', `Restarting ${name} failed: ${firstError(result.stderr) || `it is ${status || 'not running'}`}.`, {hint: 'Look at its log (jutsu-ops logs) and the host\'s Docker service.'});
	}
	record(session, 'restart', `${name}: restarted`, 'ok', durationMs);
	return {container: name, status, durationMs};
}
