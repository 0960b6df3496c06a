import type {EnvironmentName} from '../config/schema.js';
import {createFromScript, guardAction, waitHealthy} from '../docker/update.js';
import {OpsError} from '../errors.js';
import {sh} from '../quote.js';
import {sessionOn} from '../hosts.js';
import type {Session} from '../session.js';

/**
 * After a promotion's update passed its health wait but verification failed: put the environment back on the
 * image it ran before (kept on the host by id). The tag is pointed back at that image and the container is
 * re-created from its own settings by update.ts's createFromScript; the failed container is kept until the old
 * image answers its health endpoint.
 */
export async function rerunPreviousImage(
	all: Session,
	environment: EnvironmentName,
	previousImageId: string,
	options: {signal?: AbortSignal; confirm?: string; healthTimeoutMs?: number; onProgress?: (message: string) => void} = {},
): Promise<void> {
	const session = sessionOn(all, environment);
	const env = session.profile.environments[environment];
	const name = env.container;
	const ref = `${env.image}:${env.tag}`;
	guardAction(session, environment, name, options.confirm, 'Rollback');
	const stamp = new Date().toISOString().replace(/[-:]/gu, '').replace(/\..*$/u, '');
	const failed = `${name}-jutsu-failed-${stamp}`;
	const started = Date.now();
	options.onProgress?.(`re-creating ${name} on its previous image ${previousImageId.slice(7, 19)}`);
	const r = await session.transport.exec(sh`docker image inspect ${previousImageId} >/dev/null 2>&1 || { echo 'jutsu-ops: the previous image is no longer on the host' >&2; exit 4; }
docker rename ${name} ${failed} || exit 3
docker stop -t 30 ${failed} >/dev/null || true
docker tag ${previousImageId} ${ref} || exit 3
${createFromScript({container: failed}, name, ref)}`, {timeoutMs: 180_000});
	const record = (outcome: 'ok' | 'failed', detail: string) => session.audit.record({kind: 'action', host: session.transport.label, action: 'promote.rollback', detail, outcome, durationMs: Date.now() - started});
	if (r.code !== 0) {
		const why = r.stderr.trim().split('\n').find(l => l.startsWith('jutsu-ops:'))?.slice(11) ?? (r.stderr.trim().split('\n').at(-1) ?? `exit ${r.code}`);
		await session.transport.exec(sh`docker inspect --type container ${name} >/dev/null 2>&1 || { docker rename ${failed} ${name} && docker start ${name} >/dev/null; }`, {timeoutMs: 60_000}).catch(() => undefined);
		record('failed', `${name}: re-running ${previousImageId.slice(7, 19)} failed: ${why}`);
		throw new OpsError('failure', `Rolling ${name} back to its previous image failed: ${why}.`, {hint: `${name} was left on (or put back on) the new image; look at it on the Containers screen.`});
	}
	const reason = await waitHealthy(session, name, env.apiPort, options.healthTimeoutMs ?? 90_000, options.signal, options.onProgress);
	if (reason) {
		record('failed', `${name}: back on ${previousImageId.slice(7, 19)} but ${reason}; the failed container is kept as ${failed}`);
		throw new OpsError('failure', `${name} is back on its previous image but ${reason}.`, {hint: `The container that failed verification is kept as ${failed}.`});
	}
	await session.transport.exec(sh`docker rm -f ${failed} >/dev/null 2>&1 || true`, {timeoutMs: 60_000}).catch(() => undefined);
	record('ok', `${name}: rolled back to image ${previousImageId.slice(7, 19)}`);
}
