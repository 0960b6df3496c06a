import {bold, dim, red, yellow} from '../core/color.js';
import {listContainers} from '../core/docker/containers.js';
import {fetchRemoteDigest, type UpdateState, updateLabel, updateStateFrom} from '../core/docker/registry.js';
import {containerJson, containerTable} from '../core/present.js';
import type {Session} from '../core/session.js';

export async function statusCommand(session: Session, json: boolean, signal: AbortSignal): Promise<number> {
	await session.transport.connect(signal);
	// Both requests share the one connection, each on its own channel.
	// The registry is asked at the same time (from here, not the host): digests for production and staging.
	const envs = session.profile.environments;
	const [latencyMs, containers, remoteProduction, remoteStaging] = await Promise.all([
		session.transport.ping(signal),
		listContainers(session.transport, session.profile, signal),
		fetchRemoteDigest(session.transport, session.profile, envs.production, {signal}),
		fetchRemoteDigest(session.transport, session.profile, envs.staging, {signal}),
	]);
	const updates: Record<string, UpdateState> = {
		[envs.production.container]: updateStateFrom(remoteProduction, envs.production, containers.find(c => c.name === envs.production.container)),
		[envs.staging.container]: updateStateFrom(remoteStaging, envs.staging, containers.find(c => c.name === envs.staging.container)),
	};
	const now = Date.now();
	if (json) {
		process.stdout.write(`${JSON.stringify({
			host: session.transport.label,
			latencyMs,
			containers: containers.map(c => ({...containerJson(c, now), update: updateJson(updates[c.name])})),
		}, null, 2)}\n`);
		return 0;
	}
	process.stdout.write(`${bold(session.transport.label)} ${dim(`${latencyMs} ms`)}\n`);
	const table = containerTable(containers, now).split('\n');
	process.stdout.write(`${table[0]}\n`);
	containers.forEach((c, i) => {
		const line = table[i + 1] ?? '';
		process.stdout.write(`${c.environment === 'production' ? red(line) : c.environment === 'staging' ? yellow(line) : line}\n`);
	});
	for (const env of ['production', 'staging'] as const) {
		const name = session.profile.environments[env].container;
		if (!containers.some(c => c.name === name)) process.stdout.write(`${yellow(`warning: the ${env} container "${name}" was not found on the host`)}\n`);
		const update = updates[name];
		if (update) {
			const text = `${env} ${session.profile.environments[env].image}:${session.profile.environments[env].tag}: ${updateLabel(update)}${update.state === 'unknown' ? ` (${update.reason})` : ''}`;
			process.stdout.write(`${update.state === 'up-to-date' ? text : update.state === 'update-available' ? yellow(text) : red(text)}\n`);
		}
	}
	return 0;
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
