import {spawnSync} from 'node:child_process';

/**
 * Vitest global setup: bring the lab up before any test file runs.
 * JUTSU_LAB=skip (used by `npm run test:unit`) skips it; otherwise a lab that cannot start fails the run,
 * so under CI no end-to-end test is ever silently skipped.
 */
export default function setup(): (() => void) | undefined {
	if (process.env.JUTSU_LAB === 'skip') return undefined;
	const started = Date.now();
	const packages = spawnSync('bash', ['test/lab/install-packages.sh'], {stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000});
	if (packages.status !== 0) throw new Error('The Debian packages the lab needs could not be installed (test/lab/install-packages.sh); the end-to-end tests cannot run.');
	const result = spawnSync('bash', ['test/lab/up.sh'], {stdio: ['ignore', 'inherit', 'inherit'], timeout: 900_000});
	if (result.status !== 0) {
		throw new Error(`The lab could not start (test/lab/up.sh exited ${result.status ?? result.signal}); the end-to-end tests cannot run.`);
	}
	process.stderr.write(`lab up in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
	return process.env.JUTSU_LAB_DOWN === '1'
		? () => {
			spawnSync('bash', ['test/lab/down.sh'], {stdio: 'inherit'});
		}
		: undefined;
}
