import {OpsError} from '../errors.js';
import {type ShellScript, sh} from '../quote.js';
import type {Transport} from '../transport/types.js';
import type {LockInfo} from './types.js';

/**
 * One promotion at a time per host: a directory made with mkdir (atomic), holding owner.json (who@machine,
 * since, branch, promotion id). A second promotion is refused with that information.
 */
export const DEFAULT_LOCK_DIR = '/tmp/jutsu-ops/promote.lock';

export function lockDir(): string {
	return process.env.JUTSU_OPS_PROMOTE_LOCK ?? DEFAULT_LOCK_DIR;
}

export function acquireScript(dir: string, info: LockInfo): ShellScript {
	const parent = dir.replace(/\/[^/]+\/?$/u, '') || '/';
	return sh`mkdir -p ${parent} || exit 4
if mkdir ${dir} 2>/dev/null; then printf '%s\\n' ${JSON.stringify(info)} > ${dir}/owner.json && echo acquired && exit 0; fi
cat ${dir}/owner.json 2>/dev/null
exit 3`;
}

export function releaseScript(dir: string, id: string): ShellScript {
	return sh`[ -d ${dir} ] || exit 0
grep -qF ${`"id":${JSON.stringify(id)}`} ${dir}/owner.json 2>/dev/null || { cat ${dir}/owner.json 2>/dev/null; exit 3; }
rm -rf ${dir}`;
}

export function readScript(dir: string): ShellScript {
	return sh`[ -d ${dir} ] || exit 3
cat ${dir}/owner.json 2>/dev/null || true`;
}

function parse(text: string): LockInfo | undefined {
	try {
		const value = JSON.parse(text.trim().split('\n').find(l => l.startsWith('{')) ?? '') as LockInfo;
		return value && typeof value.id === 'string' ? value : undefined;
	} catch {
		return undefined;
	}
}

export function describeLock(info: LockInfo | undefined): string {
	if (!info) return 'by a promotion that is taking the lock right now (owner not written yet)';
	return `by ${info.who} since ${info.since} (promotion ${info.id} of ${info.branch}${info.target ? ` to ${info.target}` : ''})`;
}

export class PromoteLock {
	readonly dir: string;
	constructor(private readonly transport: Transport, dir = lockDir()) {
		this.dir = dir;
	}

	/** Take the lock for `info.id`; a lock already held by the same promotion id (a resume) is ours. */
	async acquire(info: LockInfo, signal?: AbortSignal): Promise<'acquired' | 'resumed'> {
		const r = await this.transport.exec(acquireScript(this.dir, info), {signal, timeoutMs: 20_000});
		if (r.code === 0) return 'acquired';
		const holder = r.code === 3 ? parse(r.stdout) : undefined;
		if (r.code === 3 && holder?.id === info.id) return 'resumed';
		if (r.code === 3) {
			throw new OpsError('failure', `Another promotion holds the lock on ${this.transport.label}: ${describeLock(holder)}.`, {
				untouched: 'Nothing was changed.',
				hint: `Wait for it to finish. If it is dead, its owner can run \`jutsu-ops promote --abort\`, or remove ${this.dir} on the host.`,
			});
		}
		throw new OpsError('remote', `Could not take the promotion lock ${this.dir} on ${this.transport.label} (exit ${r.code}): ${r.stderr.trim().split('\n')[0] ?? ''}`, {untouched: 'Nothing was changed.'});
	}

	/** Release only our own lock; a lock held by another promotion is left alone. */
	async release(id: string, signal?: AbortSignal): Promise<boolean> {
		const r = await this.transport.exec(releaseScript(this.dir, id), {signal, timeoutMs: 20_000});
		return r.code === 0;
	}

	async read(signal?: AbortSignal): Promise<LockInfo | undefined | 'free'> {
		const r = await this.transport.exec(readScript(this.dir), {signal, timeoutMs: 20_000});
		if (r.code === 3) return 'free';
		return parse(r.stdout);
	}
}
