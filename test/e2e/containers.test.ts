import {execFileSync, spawn} from 'node:child_process';
import {createHash} from 'node:crypto';
import {existsSync, mkdtempSync, readFileSync, readdirSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {render} from 'ink-testing-library';
import {createElement} from 'react';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {createSession} from '../../source/core/session.js';
import {LogsScreen} from '../../source/ui/screens/LogsScreen.js';
import {servicesFor} from '../../source/tui.js';
import {cli, expectNoSecrets, LAB_DIR, labEnv, labProfilePath, labSecrets, onHost, ROOT, tempProfile} from '../support/lab.js';
import {TmuxConsole} from '../support/tmux.js';

/**
 * Containers in depth against the lab: update detection through the registry, update with rollback, registry
 * down, the TUI's frames, and a log flood. The lab is put back as built afterwards (test/lab/up.sh).
 */

const tmp = mkdtempSync(join(tmpdir(), 'jutsu-e2e-containers-'));
const audit = join(tmp, 'audit.jsonl');
const env = {JUTSU_OPS_AUDIT_FILE: audit};
const REGISTRY = 'http://127.0.0.1:5000';
const STAGING = 'jutsu-labs-staging';
const FLOOD = `jutsu-e2e-flood-${process.pid}`;
/** Every output, frame and file the tool produced in these flows: none may hold a lab secret. */
const captured: string[] = [];

async function run(args: string[], options: {timeoutMs?: number} = {}) {
	const result = await cli(args, {env, ...options});
	captured.push(result.stdout, result.stderr);
	return result;
}

async function registryDigest(tag: string): Promise<string | undefined> {
	const response = await fetch(`${REGISTRY}/v2/ankugo/jutsu-labs/manifests/${tag}`, {
		method: 'HEAD',
		headers: {Accept: 'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json'},
	}).catch(() => undefined);
	return response?.ok ? response.headers.get('docker-content-digest') ?? undefined : undefined;
}

/** Commit to the lab origin's branch (optionally adding a file), push, and wait until its CI has pushed a new tag. */
async function pushAndWaitForCi(branch: string, file?: string): Promise<string> {
	const tag = branch === 'main' ? 'latest' : branch;
	const before = await registryDigest(tag);
	const dir = mkdtempSync(join(tmp, 'clone-'));
	const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@lab', ...args], {cwd: dir, encoding: 'utf8'}).trim();
	execFileSync('git', ['clone', '-q', '-b', branch, labEnv().JUTSU_LAB_ORIGIN ?? join(LAB_DIR, 'git', 'jutsu-labs.git'), dir]);
	execFileSync('bash', ['-c', `date +%s%N > ${file ?? 'CHANGE'}`], {cwd: dir});
	git('add', '-A');
	git('commit', '-q', '-m', `e2e: ${file ?? 'change'} ${Date.now()}`);
	const sha = git('rev-parse', 'HEAD');
	git('push', '-q', 'origin', branch);
	for (let i = 0; i < 240; i++) {
		const digest = await registryDigest(tag);
		if (digest && digest !== before && readFileSync(join(LAB_DIR, 'ci.log'), 'utf8').includes(`done sha=${sha}`)) return sha;
		await new Promise(resolve => setTimeout(resolve, 250));
	}
	throw new Error(`the lab CI did not push ${tag} for ${sha}`);
}

type Inspect = {Id: string; Image: string; Config: {Env: string[]; Labels: Record<string, string>}; HostConfig: {PortBindings: unknown; RestartPolicy: unknown; Binds: string[] | null}; Mounts: {Source: string; Destination: string; RW: boolean}[]; NetworkSettings: {Networks: Record<string, unknown>}; State: {Status: string}};

function inspect(name: string): Inspect {
	return (JSON.parse(onHost(`docker inspect ${name}`)) as Inspect[])[0]!;
}

/** What must survive an update, with env values reduced to a hash (never printed). */
function preserved(c: Inspect) {
	return {
		envHash: createHash('sha256').update([...c.Config.Env].sort().join('\n')).digest('hex'),
		envNames: c.Config.Env.map(e => e.split('=')[0]).sort(),
		ports: c.HostConfig.PortBindings,
		restartPolicy: c.HostConfig.RestartPolicy,
		mounts: c.Mounts.map(m => `${m.Source}:${m.Destination}:${m.RW ? 'rw' : 'ro'}`).sort(),
		networks: Object.keys(c.NetworkSettings.Networks).sort(),
		unraidLabels: Object.entries(c.Config.Labels).filter(([k]) => k.startsWith('net.unraid.')).sort(),
	};
}

async function health(port: number): Promise<{status: number; revision?: string}> {
	const response = await fetch(`http://127.0.0.1:${port}/api/health`);
	const body = await response.json().catch(() => ({})) as {revision?: string};
	return {status: response.status, ...(body.revision ? {revision: body.revision} : {})};
}

async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
	const end = Date.now() + timeoutMs;
	while (Date.now() < end) {
		const value = await probe();
		if (value !== undefined) return value;
		await new Promise(resolve => setTimeout(resolve, 200));
	}
	throw new Error(`timed out waiting for ${what}`);
}

type StatusJson = {containers: {name: string; digest: string | null; revision: string | null; update: {state: string; reason?: string; registryDigest: string | null} | null}[]};

async function statusJson(): Promise<StatusJson> {
	const result = await run(['status', '--json']);
	expect(result.exitCode).toBe(0);
	return JSON.parse(result.stdout) as StatusJson;
}

beforeAll(() => {
	expect(labSecrets().length).toBeGreaterThan(3);
	expect(inspect(STAGING).State.Status).toBe('running');
});

afterAll(() => {
	try {
		onHost(`docker rm -f ${FLOOD} >/dev/null 2>&1 || true`);
	} finally {
		// Put the lab back as built: origin refs, registry tags, containers (and the registry, if a test stopped it).
		execFileSync('bash', [join(ROOT, 'test/lab/up.sh')], {stdio: 'ignore', timeout: 600_000});
		rmSync(tmp, {recursive: true, force: true});
	}
}, 600_000);

describe('update detection and update with rollback (staging)', () => {
	let before: Inspect;
	let oldRevision: string;
	let newSha: string;

	it('a commit on staging makes staging "update available" while production stays "up to date"', async () => {
		before = inspect(STAGING);
		oldRevision = (await health(8002)).revision!;
		newSha = await pushAndWaitForCi('staging');
		const status = await statusJson();
		const staging = status.containers.find(c => c.name === STAGING)!;
		const production = status.containers.find(c => c.name === 'jutsu-labs')!;
		expect(staging.update).toMatchObject({state: 'update-available', registryDigest: await registryDigest('staging')});
		expect(production.update).toMatchObject({state: 'up-to-date'});
		expect(production.update!.registryDigest).toBe(production.digest);
		const plain = await run(['status']);
		expect(plain.stdout).toMatch(/staging \S+:staging: update available/u);
		expect(plain.stdout).toMatch(/production \S+:latest: up to date/u);
	});

	it('production cannot be updated without --confirm, and nothing changes', async () => {
		const id = inspect('jutsu-labs').Id;
		const refused = await run(['update', 'production']);
		expect(refused.exitCode).toBe(2);
		expect(refused.stderr).toContain('--confirm jutsu-labs');
		const readOnly = await run(['update', 'staging', '--read-only']);
		expect(readOnly.exitCode).toBe(2);
		expect(inspect('jutsu-labs').Id).toBe(id);
		expect(inspect(STAGING).Id).toBe(before.Id);
	});

	it('update staging: the container serves the new revision with the same env, ports, mounts, networks and restart policy', async () => {
		const result = await run(['update', 'staging', '--json'], {timeoutMs: 240_000});
		expect(result.exitCode).toBe(0);
		const outcome = JSON.parse(result.stdout) as {outcome: string; fromRevision: string; toRevision: string; method: string};
		expect(outcome).toMatchObject({outcome: 'updated', method: 'recreate', fromRevision: oldRevision, toRevision: newSha});
		expect(await health(8002)).toEqual({status: 200, revision: newSha});
		const after = inspect(STAGING);
		expect(after.Id).not.toBe(before.Id);
		expect(after.Config.Labels['org.opencontainers.image.revision']).toBe(newSha);
		expect(preserved(after)).toEqual(preserved(before));
		expect(onHost('docker ps -a --format "{{.Names}}"')).not.toContain('-jutsu-old-');
		const status = await statusJson();
		expect(status.containers.find(c => c.name === STAGING)!.update).toMatchObject({state: 'up-to-date'});
		expect(status.containers.find(c => c.name === STAGING)!.revision).toBe(newSha);
		// The update is an action in the audit log, next to every command it ran.
		const entries = readFileSync(audit, 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l) as {kind: string; action?: string; detail?: string});
		expect(entries.some(e => e.kind === 'action' && e.action === 'update' && e.detail?.includes('jutsu-labs-staging: updated'))).toBe(true);
		// A second update has nothing to do.
		const again = await run(['update', 'staging']);
		expect(again.exitCode).toBe(0);
		expect(again.stdout).toContain('already runs the newest');
	});

	it('an image that never becomes healthy is rolled back: the old container runs again and serves the old revision', async () => {
		const good = inspect(STAGING);
		const goodRevision = (await health(8002)).revision!;
		const brokenSha = await pushAndWaitForCi('staging', 'BREAK_HEALTH');
		const result = await run(['update', 'staging', '--health-timeout', '8'], {timeoutMs: 240_000});
		expect(result.exitCode).toBe(1);
		expect(result.stdout).toContain('ROLLED BACK');
		expect(result.stdout).toContain('answered 500');
		const after = inspect(STAGING);
		expect(after.Id).toBe(good.Id);
		expect(after.State.Status).toBe('running');
		const served = await waitFor(async () => {
			const h = await health(8002).catch(() => undefined);
			return h?.status === 200 ? h : undefined;
		}, 'the old container to answer');
		expect(served.revision).toBe(goodRevision);
		expect(served.revision).not.toBe(brokenSha);
		expect(onHost('docker ps -a --format "{{.Names}}"')).not.toContain('-jutsu-old-');
		const entries = readFileSync(audit, 'utf8');
		expect(entries).toContain('"action":"rollback"');
		// Still behind the registry: the update stays available.
		const status = await statusJson();
		expect(status.containers.find(c => c.name === STAGING)!.update).toMatchObject({state: 'update-available'});
	});
});

describe('registry down', () => {
	it('shows "unknown" with a reason, never "up to date"', async () => {
		const pidFile = join(LAB_DIR, 'registry.pid');
		const pid = readFileSync(pidFile, 'utf8').trim();
		onHost(`kill ${pid}; for i in $(seq 1 50); do kill -0 ${pid} 2>/dev/null || break; sleep 0.1; done`);
		try {
			expect(await registryDigest('latest')).toBeUndefined();
			const status = await statusJson();
			for (const name of ['jutsu-labs', STAGING]) {
				const update = status.containers.find(c => c.name === name)!.update!;
				expect(update.state).toBe('unknown');
				expect(update.reason).toMatch(/refused|could not be reached/u);
			}
			const plain = await run(['status']);
			expect(plain.exitCode).toBe(0);
			expect(plain.stdout).not.toContain('up to date');
			expect(plain.stdout).toMatch(/production \S+:latest: unknown \(registry/u);
		} finally {
			execFileSync('bash', [join(ROOT, 'test/lab/up.sh')], {stdio: 'ignore', timeout: 600_000});
		}
		expect(await registryDigest('latest')).toMatch(/^sha256:/u);
	}, 600_000);
});

describe('the console under tmux', () => {
	const tui = new TmuxConsole(`jutsu-e2e-c3-${process.pid}`, captured);
	afterAll(() => tui.kill());

	it('Dashboard, details with masked env, logs and the audit screen show no secret value', async () => {
		const command = `cd ${tmp} && ${process.execPath} ${join(ROOT, 'dist/cli.js')} --config ${labProfilePath()}`;
		tui.start(command, {width: 140, height: 40, env: {JUTSU_OPS_AUDIT_FILE: audit}});
		const dashboard = await tui.screen(/update\s+\S.*(up to date|update available)/u);
		expect(dashboard).toMatch(/PRODUCTION\s+STAGING/u);
		expect(dashboard).toMatch(/SECRET_KEY\s+••••••\s+••••••\s+differs/u);
		expect(dashboard).toMatch(/ADMIN_PASSWORD\s+••••••\s+••••••\s+same/u);
		tui.keys('3');
		await tui.screen(/of \d+ containers/u);
		tui.keys('j');
		await tui.screen(/STAGING · jutsu-labs-staging/u);
		tui.keys('Enter');
		await tui.screen(/restart policy\s+unless-stopped/u);
		for (let i = 0; i < 25; i++) tui.keys('j');
		const details = await tui.screen(/SECRET_KEY=••••••/u);
		expect(details).toMatch(/POSTGRES_PASSWORD=••••••/u);
		tui.keys('Escape');
		await tui.screen(/Enter details/u);
		tui.keys('k');
		await tui.screen(/PRODUCTION · jutsu-labs/u);
		tui.keys('Enter');
		await tui.screen(/restart policy/u);
		for (let i = 0; i < 25; i++) tui.keys('j');
		const production = await tui.screen(/SCHWAB_CLIENT_SECRET=••••••/u);
		expect(production).toMatch(/SCHWAB_CLIENT_ID=••••••/u);
		tui.keys('l');
		await tui.screen(/FOLLOW · \d+\/5000 lines/u);
		tui.keys('s');
		await tui.screen(/saved \d+ lines to/u);
		tui.keys('8');
		await tui.screen(/entries, newest first/u);
		tui.keys('q');
		const saved = readdirSync(tmp).filter(f => f.startsWith('jutsu-ops-') && f.endsWith('.log'));
		expect(saved.length).toBe(1);
		captured.push(readFileSync(join(tmp, saved[0]!), 'utf8'));
	});
});

describe('one change to a container at a time', () => {
	it('while another change holds staging\'s lease, update is refused naming the holder and nothing is touched; the lease is free again after the tool\'s own restart', async () => {
		const file = '/tmp/jutsu-ops/change-jutsu-labs-staging.lock';
		const id = inspect(STAGING).Id;
		// another operator's change, as the tool itself takes it: flock on the lease file, holder written in it
		const holder = spawn('bash', ['-c', `mkdir -p /tmp/jutsu-ops; exec 9>>${file}; flock 9; printf 'ops@other-laptop since 2026-12-04T07:00:00Z (update)\\n' > ${file}; echo held; exec sleep 60`], {stdio: ['ignore', 'pipe', 'ignore']});
		await new Promise<void>(resolve => holder.stdout!.once('data', () => resolve()));
		try {
			const refused = await run(['update', 'staging']);
			expect(refused.exitCode).toBe(1);
			expect(refused.stderr).toContain('Another change to jutsu-labs-staging is running on root@127.0.0.1:2222: ops@other-laptop since 2026-12-04T07:00:00Z (update). jutsu-labs-staging was not touched.');
			expect(inspect(STAGING).Id).toBe(id);
			const restartRefused = await run(['restart', 'staging']);
			expect(restartRefused.exitCode).toBe(1);
		} finally {
			holder.kill('SIGKILL');
		}
		await new Promise(resolve => setTimeout(resolve, 300));
		const restarted = await run(['restart', 'staging']);
		expect(restarted.exitCode, restarted.stderr).toBe(0);
		// the tool let go of its own lease when it ended
		expect(onHost(`flock -n ${file} echo free`).trim()).toBe('free');
	}, 120_000);
});

describe('a container flooding its log', () => {
	it('the log view keeps up: the buffer stays at its size, drops are counted, keys still work', async () => {
		onHost(`docker rm -f ${FLOOD} >/dev/null 2>&1; docker run -d --name ${FLOOD} --network none jutsu-lab/busybox:base sh -c 'i=0; while :; do i=$((i+1)); echo "flood seq=$i lorem ipsum dolor sit amet consectetur adipiscing elit"; done' >/dev/null`);
		const profile = tempProfile(p => {
			p.logs = {bufferLines: 1000};
		});
		const session = createSession({configFile: profile, auditFile: audit});
		await session.transport.connect();
		const services = servicesFor(session);
		const view = render(createElement(LogsScreen, {
			services, active: true, width: 120, height: 30,
			onFocus: () => undefined, onTyping: () => undefined,
			focus: {environment: undefined, name: FLOOD},
		}));
		try {
			const stats = () => {
				const m = /(\d+)\/(\d+) lines · dropped (\d+)/u.exec(view.lastFrame() ?? '');
				return m ? {size: Number(m[1]), capacity: Number(m[2]), dropped: Number(m[3])} : undefined;
			};
			const flooded = await waitFor(() => {
				const s = stats();
				return s && s.dropped > 10_000 ? s : undefined;
			}, 'drops to be counted', 60_000);
			expect(flooded.size).toBe(1000);
			expect(flooded.capacity).toBe(1000);
			expect(view.lastFrame()).toContain(FLOOD);
			expect(view.lastFrame()).toMatch(/flood seq=\d+/u);
			// Keys are handled while the stream runs: pause, then search.
			view.stdin.write('f');
			await waitFor(() => (view.lastFrame()?.includes('PAUSED') ? true : undefined), 'pause', 20_000);
			view.stdin.write('/');
			await new Promise(resolve => setTimeout(resolve, 50));
			view.stdin.write('seq=');
			await new Promise(resolve => setTimeout(resolve, 50));
			view.stdin.write('\r');
			await waitFor(() => (/\/seq= \(\d+ match/u.test(view.lastFrame() ?? '') ? true : undefined), 'search', 20_000);
			const later = await waitFor(() => {
				const s = stats();
				return s && s.dropped > flooded.dropped ? s : undefined;
			}, 'more drops while paused', 60_000);
			expect(later.size).toBe(1000);
			const heapMb = process.memoryUsage().heapUsed / 1e6;
			expect(heapMb).toBeLessThan(1000);
			captured.push(...view.frames);
		} finally {
			view.unmount();
			await session.close();
			onHost(`docker rm -f ${FLOOD} >/dev/null 2>&1 || true`);
		}
	}, 180_000);
});

describe('secrets', () => {
	it('no output, frame, saved log or audit entry of these flows holds a lab secret', () => {
		expect(captured.length).toBeGreaterThan(20);
		if (existsSync(audit)) captured.push(readFileSync(audit, 'utf8'));
		captured.forEach((text, i) => {
			try {
				expectNoSecrets(text);
			} catch (error) {
				throw new Error(`capture #${i} (of ${captured.length}, starting "${text.slice(0, 60).replace(/\s+/gu, ' ')}"): ${(error as Error).message}`);
			}
		});
	});
});
