import {dim, green, red, yellow} from '../core/color.js';
import type {EnvironmentName, Profile} from '../core/config/schema.js';
import {streamLogs} from '../core/docker/logs.js';
import {restartContainer, updateContainer} from '../core/docker/update.js';
import {OpsError} from '../core/errors.js';
import type {Session} from '../core/session.js';
import {locateContainer} from '../core/hosts.js';

/** `production`, `staging`, or a container name (an environment's, or any other for logs/restart). */
export function resolveTarget(profile: Profile, target: string): {environment: EnvironmentName | undefined; container: string} {
	if (target === 'production' || target === 'staging') return {environment: target, container: profile.environments[target].container};
	if (target === 'prod') return {environment: 'production', container: profile.environments.production.container};
	for (const env of ['production', 'staging'] as const) {
		if (profile.environments[env].container === target) return {environment: env, container: target};
	}
	if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/u.test(target)) {
		throw new OpsError('usage', `"${target}" is neither production, staging nor a container name.`, {untouched: 'Nothing was run.'});
	}
	return {environment: undefined, container: target};
}

export interface LogsCommandOptions {
	follow: boolean;
	tail: number;
	timestamps: boolean;
}

/** Print a container's log (sanitised: no escape sequences reach the terminal); -f follows until Ctrl-C. */
export async function logsCommand(session: Session, target: string, options: LogsCommandOptions, signal: AbortSignal): Promise<number> {
	const {container} = resolveTarget(session.profile, target);
	const transport = await locateContainer(session, container, signal);
	await transport.connect(signal);
	await streamLogs(transport, container, (line, stderr) => {
		(stderr ? process.stderr : process.stdout).write(`${line}\n`);
	}, {signal, follow: options.follow, tail: options.tail, timestamps: options.timestamps, maxLineLength: 64 * 1024});
	return 0;
}

export interface UpdateCommandOptions {
	confirm?: string | undefined;
	healthTimeout?: number | undefined;
	json?: boolean | undefined;
}

/** Pull and recreate with rollback. Exit 0 updated or already current, 1 rolled back, 2 refused or could not run. */
export async function updateCommand(session: Session, target: string, options: UpdateCommandOptions, signal: AbortSignal): Promise<number> {
	const {environment, container} = resolveTarget(session.profile, target);
	if (!environment) {
		throw new OpsError('usage', `Only the production and staging containers can be updated (they have a configured image and tag), not ${container}.`, {untouched: 'Nothing was run.'});
	}
	const result = await updateContainer(session, environment, {
		signal,
		confirm: options.confirm,
		...(options.healthTimeout ? {healthTimeoutMs: options.healthTimeout * 1000} : {}),
		onProgress: p => process.stderr.write(`${dim(`[${p.step}]`)} ${p.message}\n`),
	});
	if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
	else if (result.outcome === 'updated') process.stdout.write(`${green(`${container} updated`)}: revision ${result.fromRevision?.slice(0, 7) ?? '-'} -> ${result.toRevision?.slice(0, 7) ?? '-'} (${result.method}, ${(result.durationMs / 1000).toFixed(1)} s)\n`);
	else if (result.outcome === 'unchanged') process.stdout.write(`${container} already runs the newest ${result.image} (revision ${result.toRevision?.slice(0, 7) ?? '-'}); nothing was changed.\n`);
	else process.stdout.write(`${red(`${container} ROLLED BACK`)} to revision ${result.fromRevision?.slice(0, 7) ?? '-'}: ${result.reason}\n${yellow(`The new image (revision ${result.toRevision?.slice(0, 7) ?? '-'}) was not kept; check its log and health endpoint.`)}\n`);
	return result.outcome === 'rolled-back' ? 1 : 0;
}

export async function restartCommand(session: Session, target: string, options: {confirm?: string | undefined}, signal: AbortSignal): Promise<number> {
	const {container} = resolveTarget(session.profile, target);
	await locateContainer(session, container, signal);
	const result = await restartContainer(session, container, {signal, confirm: options.confirm});
	process.stdout.write(`${green(`${container} restarted`)} (${result.status}, ${(result.durationMs / 1000).toFixed(1)} s)\n`);
	return 0;
}
