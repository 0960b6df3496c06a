/**
 * One change to a container at a time: an update or restart holds a lease on the host while it works, so a
 * second one (another terminal, another operator, a promotion) is refused with who holds it and since when.
 *
 * The lease is `flock` on a file under /tmp/jutsu-ops, held by a remote shell that lives as long as the lease's
 * SSH channel (with a pty, so closing the channel hangs it up). If this tool dies or the connection drops, sshd
 * ends that shell and the kernel releases the lock: a lease never outlives its holder.
 */
import {OpsError} from '../errors.js';
import {sh} from '../quote.js';
import type {Transport} from '../transport/types.js';
import {whoAmI} from '../who.js';

export const LEASE_DIR = '/tmp/jutsu-ops';

export interface Lease {
	/** False when the host has no flock: the change goes ahead without a lease (said in `note`). */
	held: boolean;
	note?: string;
	release(): Promise<void>;
}

export function leaseFile(container: string): string {
	return `${process.env.JUTSU_OPS_LEASE_DIR ?? LEASE_DIR}/change-${container.replaceAll(/[^\w.-]/gu, '_')}.lock`;
}

/** The remote side: take the lock or say who has it; then keep it until the channel closes. */
export function leaseScript(container: string, what: string, holder = whoAmI(), since = new Date().toISOString()): ReturnType<typeof sh> {
	const file = leaseFile(container);
	const dir = file.replace(/\/[^/]+$/u, '');
	return sh`command -v flock >/dev/null 2>&1 || { echo 'lease=no-flock'; exit 0; }
mkdir -p ${dir} || exit 4
exec 9>>${file} || exit 4
if ! flock -n 9; then echo 'lease=busy'; cat ${file}; exit 75; fi
printf '%s\\n' ${`${holder} since ${since} (${what})`} > ${file}
echo 'lease=held'
# sleep holds neither the lock nor the output: only this shell does, and it ends with the channel (and its sleep)
trap 'kill $! 2>/dev/null; exit 0' HUP INT TERM
while :; do sleep 3600 9>&- </dev/null >/dev/null 2>&1 & wait $!; done`;
}

/** Take the lease for a change to `container`; refused (OpsError) while another change holds it. */
export async function takeLease(transport: Transport, container: string, what: string, signal?: AbortSignal): Promise<Lease> {
	const channel = new AbortController();
	const onAbort = () => channel.abort();
	signal?.addEventListener('abort', onAbort, {once: true});
	let output = '';
	let answered: (state: string) => void = () => undefined;
	const answer = new Promise<string>(resolve => {
		answered = resolve;
	});
	const running = transport.exec(leaseScript(container, what), {
		signal: channel.signal, timeoutMs: 0, pty: true, quiet: true,
		onStdout: chunk => {
			output += chunk;
			const m = /lease=(held|busy|no-flock)/u.exec(output);
			if (m) answered(m[1]!);
		},
	}).then(result => {
		answered(result.code === 75 ? 'busy' : `exit ${result.code}`);
		return result;
	}, (error: unknown) => {
		answered('error');
		throw error;
	});
	running.catch(() => undefined);
	const release = async () => {
		signal?.removeEventListener('abort', onAbort);
		channel.abort();
		await running.catch(() => undefined);
	};
	const state = await answer;
	if (state === 'held') return {held: true, release};
	if (state === 'no-flock') {
		await release();
		return {held: false, note: `flock is not on ${transport.label}: no lease against a second change at the same time`, release: async () => undefined};
	}
	if (state === 'busy') {
		// the script says who holds it, then exits by itself
		await running.catch(() => undefined);
		signal?.removeEventListener('abort', onAbort);
		const holder = output.replaceAll('\r', '').split('\n').map(l => l.trim()).find(l => l && !l.startsWith('lease=')) ?? 'another change (owner not written yet)';
		throw new OpsError('failure', `Another change to ${container} is running on ${transport.label}: ${holder}.`, {
			untouched: `${container} was not touched.`,
			hint: 'Wait for it to finish and look again (jutsu-ops status); the lease ends by itself when its holder stops.',
		});
	}
	await release();
	const error = await running.then(() => undefined, (error_: unknown) => error_);
	if (error) throw error;
	throw new OpsError('remote', `Could not take the change lease ${leaseFile(container)} on ${transport.label} (${state}).`, {untouched: `${container} was not touched.`});
}
