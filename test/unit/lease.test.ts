import {mkdtempSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {leaseFile, takeLease} from '../../source/core/docker/lease.js';
import {LocalTransport} from '../../source/core/transport/local.js';

/** The change lease's real script, through bash and flock on this machine (the local transport). */
describe('the change lease on a container', () => {
	const previous = process.env.JUTSU_OPS_LEASE_DIR;
	beforeAll(() => {
		process.env.JUTSU_OPS_LEASE_DIR = mkdtempSync(join(tmpdir(), 'jutsu-lease-'));
	});
	afterAll(() => {
		if (previous === undefined) delete process.env.JUTSU_OPS_LEASE_DIR;
		else process.env.JUTSU_OPS_LEASE_DIR = previous;
	});

	it('a second change is refused naming the first one\'s holder; once the first ends, the next one gets it', async () => {
		const transport = new LocalTransport({commandTimeoutMs: 10_000});
		const first = await takeLease(transport, 'jutsu-labs-staging', 'update to app:staging');
		expect(first.held).toBe(true);
		expect(readFileSync(leaseFile('jutsu-labs-staging'), 'utf8')).toMatch(/^\S+@\S+ since \S+ \(update to app:staging\)\n$/u);
		const refused = await takeLease(transport, 'jutsu-labs-staging', 'restart').then(() => undefined, (error: unknown) => error as Error);
		expect(refused?.message).toMatch(/^Another change to jutsu-labs-staging is running on local: \S+@\S+ since \S+ \(update to app:staging\)\.$/u);
		// another container is not held by it
		const other = await takeLease(transport, 'jutsu-labs', 'restart');
		expect(other.held).toBe(true);
		await other.release();
		await first.release();
		const next = await takeLease(transport, 'jutsu-labs-staging', 'restart');
		expect(next.held).toBe(true);
		await next.release();
	});

	it('a name that is not a plain word cannot leave the lease folder', () => {
		expect(leaseFile('../../etc/passwd')).toBe(`${process.env.JUTSU_OPS_LEASE_DIR}/change-.._.._etc_passwd.lock`);
	});
});
