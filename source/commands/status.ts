import {bold, dim, red, yellow} from '../core/color.js';
import {listContainers} from '../core/docker/containers.js';
import {containerJson, containerTable} from '../core/present.js';
import type {Session} from '../core/session.js';

export async function statusCommand(session: Session, json: boolean, signal: AbortSignal): Promise<number> {
	await session.transport.connect(signal);
	// Both requests share the one connection, each on its own channel.
	const [latencyMs, containers] = await Promise.all([
		session.transport.ping(signal),
		listContainers(session.transport, session.profile, signal),
	]);
	const now = Date.now();
	if (json) {
		process.stdout.write(`${JSON.stringify({
			host: session.transport.label,
			latencyMs,
			containers: containers.map(c => containerJson(c, now)),
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
	}
	return 0;
}
