import {defineConfig} from 'vitest/config';

export default defineConfig({
	test: {
		include: ['test/**/*.test.{ts,tsx}'],
		// e2e suites share one lab (one Docker engine, one sshd): run files one at a time.
		fileParallelism: false,
		testTimeout: 60_000,
		hookTimeout: 180_000,
		globalSetup: ['test/lab/global-setup.ts'],
		env: {FORCE_COLOR: '0'},
		reporters: ['default', './test/support/summary-reporter.ts'],
	},
});
