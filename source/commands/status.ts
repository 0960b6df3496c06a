import {bold, dim, red, yellow} from '../core/color.js';
import type {Container} from '../core/docker/containers.js';
import {describeError} from '../core/errors.js';
import {hostsLabel, listAllContainers, PartialListError} from '../core/hosts.js';
import {fetchRemoteDigest, type UpdateState, updateLabel, updateStateFrom} from '../core/docker/registry.js';
import {containerJson, containerTable} from '../core/present.js';
import type {Session} from '../core/session.js';

export async function statusCommand(session: Session, json: boolean, signal: AbortSignal): Promise<number> {
	await session.transport.connect(signal);
	// The requests share one connection per host, each on its own channel.
	// The registry is asked at the same time (from here, not the host): digests for production and staging.
	const envs = session.profile.environments;
	let problem: PartialListError | undefined;
	const [latencyMs, containers, remoteProduction, remoteStaging] = await Promise.all([
		session.transport.ping(signal),
		listAllContainers(session, signal).catch((error: unknown): Container[] => {
			// One host of two did not answer: show the other's containers, say which host, exit 1.
			if (!(error instanceof PartialListError)) throw error;
			problem = error;
			return error.containers;
		}),
		fetchRemoteDigest(session.transportFor('production'), session.profile, envs.production, {signal}),
		fetchRemoteDigest(session.transportFor('staging'), session.profile, envs.staging, {signal}),
	]);
	const updates: Record<string, UpdateState> = {
		[envs.production.container]: updateStateFrom(remoteProduction, envs.production, containers.find(c => c.environment === 'production')),
		[envs.staging.container]: updateStateFrom(remoteStaging, envs.staging, containers.find(c => c.environment === 'staging')),
	};
	const now = Date.now();
	if (json) {
		process.stdout.write(`${JSON.stringify({
			host: session.transport.label,
			...(session.connections.length > 1 ? {hosts: session.connections.map(c => ({host: c.transport.label, environments: c.environments, main: c.main}))} : {}),
			latencyMs,
			containers: containers.map(c => ({...containerJson(c, now), update: updateJson(updates[c.name])})),
			...(problem ? {unreachable: problem.failures.map(f => ({host: f.connection.transport.label, environments: f.connection.environments, reason: describeError(f.error).join(' ')}))} : {}),
		}, null, 2)}\n`);
		if (problem) process.stderr.write(`${problem.toLines().join('\n')}\n`);
		return problem ? 1 : 0;
	}
	process.stdout.write(`${bold(hostsLabel(session))} ${dim(`${latencyMs} ms`)}\n`);
	const table = containerTable(containers, now).split('\n');
	process.stdout.write(`${table[0]}\n`);
	containers.forEach((c, i) => {
		const line = table[i + 1] ?? '';
		process.stdout.write(`${c.environment === 'production' ? red(line) : c.environment === 'staging' ? yellow(line) : line}\n`);
	});
	for (const env of ['production', 'staging'] as const) {
		const name = session.profile.environments[env].container;
		const unreachable = problem?.failures.some(f => f.connection.environments.includes(env));
		if (!containers.some(c => c.name === name && c.environment === env) && !unreachable) process.stdout.write(`${yellow(`warning: the ${env} container "${name}" was not found on ${session.transportFor(env).label}`)}\n`);
		const update = updates[name];
		if (update) {
			const text = `${env} ${session.profile.environments[env].image}:${session.profile.environments[env].tag}: ${updateLabel(update)}${update.state === 'unknown' ? ` (${update.reason})` : ''}`;
			process.stdout.write(`${update.state === 'up-to-date' ? text : update.state === 'update-available' ? yellow(text) : red(text)}\n`);
		}
	}
	if (problem) process.stderr.write(`${red(problem.toLines().join('\n'))}\n`);
	return problem ? 1 : 0;
}

function updateJson(update: UpdateState | undefined) {
	if (!update) return null;
	return {
		state: update.state,
		registryDigest: update.state === 'unknown' ? update.remoteDigest ?? null : update.remoteDigest,
		runningDigests: update.localDigests,
		...(update.state === 'unknown' ? {reason: update.reason} : {}),
	};
}
