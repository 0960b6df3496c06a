import {render} from 'ink-testing-library';
import {describe, expect, it, vi} from 'vitest';
import {App} from '../../source/app.js';
import type {AppServices} from '../../source/ui/services.js';
import {CONTAINERS, container, fakeServices, tick} from '../support/fixtures.js';
import {maskEnv} from '../../source/core/secrets.js';

const ESC = '\u001B';
const TAB = '\t';
const ENTER = '\r';

async function mount(overrides: Partial<AppServices> = {}, initialScreen?: string) {
	const onQuit = vi.fn();
	const services = fakeServices(overrides);
	const view = render(<App services={services} onQuit={onQuit} {...(initialScreen ? {initialScreen} : {})} />);
	await tick(80);
	return {...view, onQuit, services};
}

async function until(frame: () => string | undefined, test: (f: string) => boolean, ms = 2000) {
	const end = Date.now() + ms;
	while (Date.now() < end) {
		if (test(frame() ?? '')) return frame() ?? '';
		await tick(20);
	}
	throw new Error(`frame never matched:\n${frame()}`);
}

const WITH_ENV: typeof CONTAINERS = [
	container({name: 'jutsu-labs', environment: 'production', repoDigests: [`ankugo/jutsu-labs@sha256:${'1'.repeat(64)}`],
		env: maskEnv(['ENVIRONMENT=production', 'SECRET_KEY=prod-secret-value', 'ADMIN_PASSWORD=same-admin-pass', 'SCHWAB_ENABLED=true'])}),
	container({name: 'jutsu-labs-staging', environment: 'staging', tag: 'staging', image: 'ankugo/jutsu-labs:staging', revision: 'fedcba9876543210',
		repoDigests: [`ankugo/jutsu-labs@sha256:${'3'.repeat(64)}`],
		env: maskEnv(['ENVIRONMENT=staging', 'SECRET_KEY=staging-secret-value', 'ADMIN_PASSWORD=same-admin-pass', 'SCHWAB_ENABLED=false', 'LOG_LEVEL=DEBUG'])}),
	...CONTAINERS.slice(2),
];
const SECRETS = ['prod-secret-value', 'staging-secret-value', 'same-admin-pass', 'topsecretvalue'];

describe('Dashboard', () => {
	it('opens first (key 1) with production and staging side by side: tag, digest, revision, update state', async () => {
		const {lastFrame, unmount} = await mount({listContainers: async () => WITH_ENV});
		const frame = await until(lastFrame, f => f.includes('update available'));
		expect(frame).toMatch(/PRODUCTION\s+STAGING/u);
		expect(frame).toMatch(/tag\s+latest\s+staging/u);
		expect(frame).toMatch(/digest\s+111111111111\s+333333333333/u);
		expect(frame).toMatch(/revision\s+0123456\s+fedcba9/u);
		expect(frame).toMatch(/update\s+up to date\s+update available/u);
		expect(frame).toContain('1 Dashboard');
		expect(frame).toContain('3 Containers');
		unmount();
	});

	it('shows the env diff masked: an equal secret is "same" by hash, a different one "differs", never a value', async () => {
		const {lastFrame, unmount, stdin} = await mount({listContainers: async () => WITH_ENV});
		const top = await until(lastFrame, f => f.includes('ADMIN_PASSWORD'));
		stdin.write('j');
		const frame = await until(lastFrame, f => f.includes('SECRET_KEY'));
		expect(top).toMatch(/ADMIN_PASSWORD\s+••••••\s+••••••\s+same/u);
		expect(frame).toMatch(/SECRET_KEY\s+••••••\s+••••••\s+differs/u);
		expect(frame).toMatch(/SCHWAB_ENABLED\s+true\s+false\s+differs/u);
		expect(frame).toMatch(/LOG_LEVEL\s+—\s+DEBUG\s+staging only/u);
		stdin.write('d');
		const diffOnly = await until(lastFrame, f => f.includes('differences only'));
		expect(diffOnly).not.toMatch(/ADMIN_PASSWORD/u);
		for (const secret of SECRETS) expect(top + frame + diffOnly).not.toContain(secret);
		unmount();
	});

	it('says unknown with the reason, never "up to date", when the registry cannot be asked', async () => {
		const {lastFrame, unmount} = await mount({
			listContainers: async () => WITH_ENV,
			checkUpdates: async () => ({
				production: {state: 'unknown', reason: 'registry http://127.0.0.1:5000 refused the connection', localDigests: []},
				staging: {state: 'unknown', reason: 'registry http://127.0.0.1:5000 refused the connection', localDigests: []},
			}),
		});
		const frame = await until(lastFrame, f => f.includes('refused the connection'));
		expect(frame).toMatch(/update\s+unknown\s+unknown/u);
		expect(frame).not.toContain('up to date');
		unmount();
	});
});

describe('Containers: details and actions', () => {
	it('Enter opens the details pane with image, digest, revision, policy, mounts and masked env; Esc closes it', async () => {
		const {lastFrame, stdin, unmount} = await mount({listContainers: async () => WITH_ENV}, 'containers');
		stdin.write(ENTER);
		const frame = await until(lastFrame, f => f.includes('restart policy'));
		expect(frame).toMatch(/image id\s+aaa/u);
		expect(frame).toMatch(/repo digest\s+sha256:1111/u);
		expect(frame).toMatch(/revision\s+0123456789abcdef/u);
		expect(frame).toMatch(/restart policy\s+unless-stopped/u);
		expect(frame).toMatch(/update\s+up to date/u);
		const env = await (async () => {
			for (let i = 0; i < 12; i++) stdin.write('j');
			return until(lastFrame, f => f.includes('SECRET_KEY='));
		})();
		expect(env).toContain('SECRET_KEY=••••••');
		for (const secret of SECRETS) expect(frame + env).not.toContain(secret);
		stdin.write(ESC);
		await until(lastFrame, f => f.includes('of 4 containers') && !f.includes('restart policy'));
		unmount();
	});

	it('asks before a restart with Cancel focused: Enter cancels, Tab then Enter restarts', async () => {
		const {lastFrame, stdin, unmount, services} = await mount({}, 'containers');
		stdin.write('j'); // staging
		await tick();
		stdin.write('R');
		const dialog = await until(lastFrame, f => f.includes('[ Cancel ]'));
		expect(dialog).toContain('Restart STAGING container jutsu-labs-staging?');
		stdin.write(ENTER);
		await until(lastFrame, f => !f.includes('[ Cancel ]'));
		expect(services.calls.filter(c => c.startsWith('restart'))).toEqual([]);
		stdin.write('R');
		await until(lastFrame, f => f.includes('[ Cancel ]'));
		stdin.write(TAB);
		await tick();
		stdin.write(ENTER);
		await until(lastFrame, f => f.includes('restarted'));
		expect(services.calls).toContain('restart jutsu-labs-staging confirm=');
		unmount();
	});

	it('on production the action works only after the container name is typed', async () => {
		const {lastFrame, stdin, unmount, services} = await mount({}, 'containers');
		stdin.write('U');
		await until(lastFrame, f => f.includes('Type jutsu-labs to confirm'));
		stdin.write(TAB);
		await tick();
		stdin.write(ENTER); // confirm focused but not armed: nothing happens
		await tick(60);
		expect(services.calls.filter(c => c.startsWith('update'))).toEqual([]);
		stdin.write('jutsu-labs');
		await until(lastFrame, f => f.includes('confirm: jutsu-labs'));
		stdin.write(ENTER);
		await until(lastFrame, f => f.includes('updated: revision 0123456 -> abcdef0'));
		expect(services.calls).toContain('update production confirm=jutsu-labs');
		unmount();
	});

	it('--read-only removes restart and update: the keys do nothing and help does not list them', async () => {
		const {lastFrame, stdin, unmount, services} = await mount({readOnly: true}, 'containers');
		stdin.write('R');
		await tick(60);
		stdin.write('U');
		await tick(60);
		expect(lastFrame()).not.toContain('[ Cancel ]');
		expect(lastFrame()).not.toContain('R restart');
		stdin.write('?');
		const help = await until(lastFrame, f => f.includes('Keys'));
		expect(help).not.toContain('restart the selected container');
		expect(help).not.toContain('pull its tag and recreate');
		expect(services.calls).toEqual([]);
		unmount();
	});
});

describe('Logs', () => {
	it('l on a container opens its live log; Tab switches container and aborts the old stream', async () => {
		const {lastFrame, stdin, unmount, services} = await mount({}, 'containers');
		stdin.write('j');
		await tick();
		stdin.write('l');
		const frame = await until(lastFrame, f => f.includes('jutsu-labs-staging line 30'));
		expect(frame).toContain('FOLLOW');
		expect(frame).toContain('30/5000 lines');
		expect(frame).toContain('dropped 0');
		stdin.write(TAB);
		await until(lastFrame, f => f.includes('jutsu-postgres line 30'));
		expect(services.calls).toEqual(['logs jutsu-labs-staging', 'abort jutsu-labs-staging', 'logs jutsu-postgres']);
		unmount();
		await tick();
		expect(services.calls.at(-1)).toBe('abort jutsu-postgres');
	});

	it('pauses, searches with / and n, toggles timestamps and wrap, and saves the buffer', async () => {
		const {lastFrame, stdin, unmount, services} = await mount({}, 'logs');
		await until(lastFrame, f => f.includes('jutsu-labs line 30'));
		stdin.write('t');
		const noTs = await until(lastFrame, f => f.includes('timestamps off'));
		expect(noTs).not.toContain('2026-12-04T15:00:30');
		stdin.write('/');
		await tick();
		stdin.write('database');
		await tick();
		stdin.write(ENTER);
		const found = await until(lastFrame, f => f.includes('/database (1 match)'));
		expect(found).toContain('PAUSED');
		expect(found).toContain('line 7 ERROR database timeout');
		stdin.write('n');
		await until(lastFrame, f => f.includes('no older match'));
		stdin.write('w');
		await until(lastFrame, f => f.includes('wrap on'));
		stdin.write('G');
		await until(lastFrame, f => f.includes('FOLLOW'));
		stdin.write('s');
		await until(lastFrame, f => f.includes('saved 30 lines to /tmp/jutsu-ops-jutsu-labs.log'));
		expect(services.calls).toContain('save jutsu-labs 30');
		unmount();
	});

	it('a flood keeps the buffer bounded, counts drops, and keys still work', async () => {
		let push: ((line: string) => void) | undefined;
		const services = {
			profile: {...fakeServices().profile, logs: {bufferLines: 100}},
			streamLogs: async (_n: string, _o: unknown, onLine: (line: string, stderr: boolean) => void, signal: AbortSignal) => {
				push = line => onLine(line, false);
				await new Promise<void>(resolve => signal.addEventListener('abort', () => resolve(), {once: true}));
			},
		};
		const {lastFrame, stdin, unmount} = await mount(services, 'logs');
		await until(lastFrame, f => f.includes('waiting for log lines'));
		// (core's streamLogs sanitises and cuts lines before they reach the view: see ansi.test.ts)
		for (let i = 0; i < 50_000; i++) push!(`flood seq=${i} ${'x'.repeat(i % 3 === 0 ? 1900 : 10)}`);
		const frame = await until(lastFrame, f => f.includes('seq=49999'));
		expect(frame).toContain('100/100 lines');
		const dropped = Number(/dropped (\d+)/u.exec(frame)![1]);
		expect(dropped).toBeGreaterThanOrEqual(49_900);
		stdin.write('f');
		await until(lastFrame, f => f.includes('PAUSED'));
		unmount();
	});
});

describe('Audit screen', () => {
	it('lists entries newest first, actions marked, and expands one with Enter', async () => {
		const {lastFrame, stdin, unmount} = await mount({}, 'audit');
		const frame = await until(lastFrame, f => f.includes('3 entries'));
		const rollback = frame.indexOf('rollback: jutsu-labs-staging');
		const update = frame.indexOf('update: jutsu-labs-staging');
		const command = frame.indexOf('docker inspect --type container jutsu-labs');
		expect(rollback).toBeGreaterThan(-1);
		expect(rollback).toBeLessThan(update);
		expect(update).toBeLessThan(command);
		stdin.write('a');
		await until(lastFrame, f => f.includes('2 entries'));
		stdin.write(ENTER);
		await until(lastFrame, f => f.includes('host root@tower.local:22'));
		stdin.write('8');
		unmount();
	});
});
