import {execFileSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {profileSchema, SEED_PROFILE} from '../../source/core/config/schema.js';
import {OpsError} from '../../source/core/errors.js';
import {LocalTransport} from '../../source/core/transport/local.js';
import type {ExecOptions, Transport} from '../../source/core/transport/types.js';
import type {RemoteCommand} from '../../source/core/quote.js';
import {abortRun, readLockState, startRun, streamFiles, syncPaths} from '../../source/core/sync/run.js';

/** The detached-run machinery against this machine (LocalTransport): real bash, flock, setsid, files. */
function setup(scriptBody: string) {
	const dir = mkdtempSync(join(tmpdir(), 'jutsu-sync-'));
	mkdirSync(join(dir, 'scripts'));
	mkdirSync(join(dir, 'logs'));
	const script = join(dir, 'scripts', 'sync.sh');
	const log = join(dir, 'logs', 'sync.log');
	writeFileSync(script, `#!/bin/bash\nLOG_FILE=${log}\nts() { date '+%Y-%m-%d %H:%M:%S'; }\n${scriptBody}\n`, {mode: 0o755});
	writeFileSync(log, '2026-01-01 02:00:00 - Starting staging sync\n2026-01-01 02:00:01 - Staging sync complete\n');
	const profile = profileSchema.parse({...SEED_PROFILE, sync: {script, log, tables: ['market_data']}});
	const transport = new LocalTransport({commandTimeoutMs: 30_000});
	return {dir, script, log, profile, transport};
}

const SLOW = `echo "$(ts) - Starting staging sync" >> "$LOG_FILE"
echo "$(ts) - Syncing table: market_data" >> "$LOG_FILE"
echo "to stdout"
for i in 1 2 3 4 5 6 7 8; do echo "progress $i" >> "$LOG_FILE"; sleep 0.25; done
echo "$(ts) - market_data: 8 rows synced" >> "$LOG_FILE"
echo "$(ts) - Staging sync complete" >> "$LOG_FILE"`;

const started: {transport: Transport; profile: ReturnType<typeof setup>['profile']; pid: number}[] = [];
afterEach(async () => {
	for (const s of started.splice(0)) {
		try {
			process.kill(-s.pid, 'SIGKILL');
		} catch {
			// already gone
		}
	}
});

describe('detached sync runs', () => {
	it('streams log lines while the script writes them, and ends with its exit code', async () => {
		const t = setup(SLOW);
		const run = await startRun(t.transport, t.profile);
		started.push({...t, pid: run.pid});
		const seen: {line: string; at: number}[] = [];
		const end = await streamFiles(t.transport, [{id: 'log', path: t.log, offset: run.logOffset}, {id: 'out', path: run.outFile, offset: 0}], {
			exitFile: run.exitFile, pid: run.pid, onLine: (_id, line) => seen.push({line, at: Date.now()}), pollMs: 50,
		});
		expect(end).toMatchObject({code: 0, aborted: false});
		const lines = seen.map(s => s.line);
		// only this run's lines (from the offset), the script's stdout too
		expect(lines[0]).toMatch(/Starting staging sync/u);
		expect(lines).toContain('to stdout');
		expect(lines.filter(l => /Starting staging sync/u.test(l))).toHaveLength(1);
		expect(lines.at(-1)).toMatch(/Staging sync complete/u);
		// streamed as written: the first progress line arrived well before the last one was written
		const first = seen.find(s => s.line === 'progress 1')!;
		const last = seen.find(s => /complete/u.test(s.line))!;
		expect(last.at - first.at).toBeGreaterThan(1000);
		expect((await readLockState(t.transport, t.profile)).held).toBe(false);
	});

	it('refuses a second start while the first holds the lock, naming the holder', async () => {
		const t = setup(SLOW);
		const run = await startRun(t.transport, t.profile, undefined, {by: 'alice@laptop'});
		started.push({...t, pid: run.pid});
		const lock = await readLockState(t.transport, t.profile);
		expect(lock).toMatchObject({held: true, holder: {by: 'alice@laptop', runId: run.runId, pid: run.pid}});
		const second = startRun(t.transport, t.profile, undefined, {by: 'bob@desk'});
		await expect(second).rejects.toThrow(/already running: the lock is held by alice@laptop \(run .*\) since/u);
		await expect(second).rejects.toMatchObject({exitCode: 1});
		await abortRun(t.transport, t.profile, run);
	});

	it('an abort kills the process group, records the end, and releases the lock', async () => {
		const t = setup(`echo "$(ts) - Starting staging sync" >> "$LOG_FILE"; sleep 30; echo "$(ts) - Staging sync complete" >> "$LOG_FILE"`);
		const run = await startRun(t.transport, t.profile);
		started.push({...t, pid: run.pid});
		await abortRun(t.transport, t.profile, run);
		const end = await streamFiles(t.transport, [{id: 'log', path: t.log, offset: run.logOffset}], {exitFile: run.exitFile, pid: run.pid, onLine: () => undefined});
		expect(end).toMatchObject({aborted: true});
		expect(end!.code).not.toBe(0);
		expect((await readLockState(t.transport, t.profile)).held).toBe(false);
		expect(execFileSync('bash', ['-c', `pgrep -f 'sleep 30' -g ${run.pid} || true`], {encoding: 'utf8'}).trim()).toBe('');
		expect(readFileSync(t.log, 'utf8')).not.toMatch(/complete\n.*complete/su);
	});

	it('resumes from the byte offset after the connection drops mid-stream (no line lost or repeated)', async () => {
		const t = setup(SLOW);
		const run = await startRun(t.transport, t.profile);
		started.push({...t, pid: run.pid});
		let calls = 0;
		// a transport whose first streaming exec dies like a dropped SSH connection after the first chunk
		const flaky: Transport = Object.create(t.transport) as Transport;
		flaky.exec = async (command: RemoteCommand, options: ExecOptions = {}) => {
			calls++;
			if (calls === 1 && options.onStdout) {
				const inner = new AbortController();
				let chunks = 0;
				const p = t.transport.exec(command, {...options, signal: inner.signal, onStdout: chunk => {
					if (chunks++ === 0) options.onStdout!(chunk);
					else inner.abort();
				}});
				await p.catch(() => undefined);
				throw new OpsError('connection', 'The connection dropped.');
			}
			return t.transport.exec(command, options);
		};
		const statuses: string[] = [];
		const lines: string[] = [];
		const end = await streamFiles(flaky, [{id: 'log', path: t.log, offset: run.logOffset}], {
			exitFile: run.exitFile, pid: run.pid, onLine: (_id, line) => lines.push(line), onStatus: s => statuses.push(s), pollMs: 50,
		});
		expect(calls).toBeGreaterThan(1);
		expect(statuses).toContain('reconnecting');
		expect(end).toMatchObject({code: 0});
		expect(lines.filter(l => l.startsWith('progress'))).toEqual(['progress 1', 'progress 2', 'progress 3', 'progress 4', 'progress 5', 'progress 6', 'progress 7', 'progress 8']);
	});

	it('keeps its state next to the script\'s appdata folder', () => {
		const profile = profileSchema.parse(SEED_PROFILE);
		expect(syncPaths(profile)).toMatchObject({stateDir: '/mnt/user/appdata/jutsu/.jutsu-ops', lock: '/mnt/user/appdata/jutsu/.jutsu-ops/sync.lock'});
	});
});
