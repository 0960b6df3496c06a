import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {OpsError} from '../../source/core/errors.js';
import {detectGh, GitRepo, isGitHubUrl} from '../../source/core/git/repo.js';
import {waitForImage} from '../../source/core/promote/ci.js';
import {abortPromotion, planPromotion, runPromotion, startOrResume} from '../../source/core/promote/engine.js';
import {JournalStore, newJournal, retarget} from '../../source/core/promote/journal.js';
import {promotionSteps, type PromoteStep, type PromoteWorld} from '../../source/core/promote/steps.js';
import {STEP_IDS, type Journal, type LockInfo, type StepId} from '../../source/core/promote/types.js';
import {profile} from '../support/fixtures.js';

function tmp(prefix = 'jutsu-promote-') {
	return mkdtempSync(join(tmpdir(), prefix));
}

interface FakeWorld extends PromoteWorld {
	audits: {action: string; detail: string; outcome: string}[];
	lockHolder: LockInfo | undefined;
	mutations: string[];
}

function fakeWorld(): FakeWorld {
	const world: FakeWorld = {
		profile,
		hostLabel: 'root@tower.local:22',
		repo: new GitRepo(tmp(), 'origin', async () => ({code: 0, stdout: '', stderr: ''})),
		lockDir: '/tmp/jutsu-ops/promote.lock',
		audits: [],
		lockHolder: undefined,
		mutations: [],
		gh: async () => ({use: false, reason: 'not GitHub'}),
		ghMerge: async () => {
			world.mutations.push('ghMerge');
		},
		lock: {
			async acquire(info) {
				if (world.lockHolder && world.lockHolder.id !== info.id) throw new OpsError('failure', `Another promotion holds the lock: by ${world.lockHolder.who}`);
				const how = world.lockHolder ? 'resumed' : 'acquired';
				world.lockHolder = info;
				world.mutations.push(`lock:${how}`);
				return how;
			},
			async release(id) {
				if (world.lockHolder?.id !== id) return false;
				world.lockHolder = undefined;
				world.mutations.push('unlock');
				return true;
			},
			read: async () => world.lockHolder ?? 'free',
		},
		tagImage: async () => ({digest: `sha256:${'a'.repeat(64)}`, revision: 'r0'}),
		waitImage: async () => {
			throw new Error('not in this test');
		},
		update: async () => {
			throw new Error('not in this test');
		},
		health: async () => ({status: 200, revision: 'r0'}),
		safety: async () => ({failed: [], warned: [], summary: 'ok'}),
		rollback: async () => {
			world.mutations.push('rollback');
		},
		audit(action, detail, outcome) {
			world.audits.push({action, detail, outcome});
		},
	};
	return world;
}

/** Steps that record what ran and can be told to fail, hang, or check the saved journal. */
function fakeSteps(behaviour: Partial<Record<StepId, (ctx: Parameters<PromoteStep['run']>[0]) => Promise<string>>> = {}, ran: string[] = []): PromoteStep[] {
	return STEP_IDS.map(id => ({
		id, title: `Step ${id}`, plan: () => [`cmd-${id}`],
		async run(ctx) {
			ran.push(`${id}${ctx.resumed ? ' (resumed)' : ''}`);
			if (id === 'preflight') await ctx.world.lock.acquire({id: ctx.journal.id, who: ctx.journal.who, since: ctx.journal.startedAt, branch: ctx.journal.branch}, ctx.signal);
			return behaviour[id] ? behaviour[id]!(ctx) : `did ${id}`;
		},
	}));
}

const gate = {ciTimeoutMs: 1000, confirmGate: async () => true};

describe('promotion journal', () => {
	it('lists the five staging steps or all ten production steps, and keeps done steps when retargeted', () => {
		const j = newJournal('lab@host', 'feature/x', 'staging');
		expect(j.steps.map(s => s.id)).toEqual(['preflight', 'merge-staging', 'wait-ci-staging', 'update-staging', 'verify-staging']);
		j.steps[0]!.status = 'done';
		retarget(j, 'production');
		expect(j.steps).toHaveLength(10);
		expect(j.steps[0]!.status).toBe('done');
		expect(j.steps[9]).toEqual({id: 'verify-production', status: 'pending'});
	});

	it('saves atomically as JSON and finds the unfinished promotion of a profile', () => {
		const store = new JournalStore(tmp());
		const a = newJournal('lab@host', 'feature/a', 'staging');
		a.status = 'done';
		store.save(a);
		expect(store.unfinished('lab@host')).toBeUndefined();
		const b = newJournal('lab@host', 'feature/b', 'staging');
		b.status = 'interrupted';
		store.save(b);
		store.save(newJournal('other@host', 'feature/c', 'staging'));
		expect(store.unfinished('lab@host')?.id).toBe(b.id);
		expect(JSON.parse(readFileSync(store.file(b.id), 'utf8')).branch).toBe('feature/b');
	});
});

describe('promotion state machine', () => {
	it('runs the steps in order, saves the journal after each, records each step in the audit log and releases the lock', async () => {
		const world = fakeWorld();
		const store = new JournalStore(tmp());
		const ran: string[] = [];
		const seenOnDisk: string[] = [];
		const steps = fakeSteps({
			'wait-ci-staging': async ctx => {
				// The journal on disk already says merge-staging is done and this step is running.
				const saved = store.load(ctx.journal.id)!;
				seenOnDisk.push(saved.steps.map(s => `${s.id}:${s.status}`).join(','));
				return 'ci ok';
			},
		}, ran);
		const started = startOrResume(store, 'lab@host', 'feature/x', 'staging');
		const journal = await runPromotion({world, store, steps, started, options: gate, signal: new AbortController().signal});
		expect(journal.status).toBe('done');
		expect(ran).toEqual(['preflight', 'merge-staging', 'wait-ci-staging', 'update-staging', 'verify-staging']);
		expect(seenOnDisk[0]).toBe('preflight:done,merge-staging:done,wait-ci-staging:running,update-staging:pending,verify-staging:pending');
		expect(store.load(journal.id)!.status).toBe('done');
		for (const id of ran) expect(world.audits.some(a => a.action === `promote.${id}` && a.detail.startsWith('done'))).toBe(true);
		expect(world.lockHolder).toBeUndefined();
		expect(world.mutations).toEqual(['lock:acquired', 'unlock']);
	});

	it('stops at a failing step with its reason, releases the lock, and runs nothing after it', async () => {
		const world = fakeWorld();
		const store = new JournalStore(tmp());
		const ran: string[] = [];
		const steps = fakeSteps({'wait-ci-staging': async () => {
			throw new OpsError('timeout', 'CI did not push :staging within 1 s.', {untouched: 'No container was changed.'});
		}}, ran);
		const journal = await runPromotion({world, store, steps, started: startOrResume(store, 'lab@host', 'feature/x', 'staging'), options: gate, signal: new AbortController().signal});
		expect(journal.status).toBe('failed');
		expect(ran).not.toContain('update-staging');
		expect(journal.steps.find(s => s.id === 'wait-ci-staging')).toMatchObject({status: 'failed', error: ['CI did not push :staging within 1 s. No container was changed.']});
		expect(world.lockHolder).toBeUndefined();
		expect(world.audits.find(a => a.action === 'promote.wait-ci-staging' && a.outcome === 'failed')?.detail).toContain('CI did not push');
	});

	it('after an interruption keeps the lock, and a second run of the same branch resumes at the interrupted step with resumed=true', async () => {
		const world = fakeWorld();
		const store = new JournalStore(tmp());
		const ran: string[] = [];
		const controller = new AbortController();
		const hang = fakeSteps({'wait-ci-staging': async ctx => {
			controller.abort();
			throw new OpsError('aborted', 'interrupted');
		}}, ran);
		const first = await runPromotion({world, store, steps: hang, started: startOrResume(store, 'lab@host', 'feature/x', 'staging'), options: gate, signal: controller.signal});
		expect(first.status).toBe('interrupted');
		expect(world.lockHolder?.id).toBe(first.id);

		// Another branch is refused while this one is unfinished, and told how to resume or abort.
		expect(() => startOrResume(store, 'lab@host', 'feature/other', 'staging')).toThrow(/unfinished.*interrupted at wait-ci-staging/u);

		const again = startOrResume(store, 'lab@host', 'feature/x', 'staging');
		expect(again).toMatchObject({resumed: true});
		expect(again.journal.id).toBe(first.id);
		ran.length = 0;
		const second = await runPromotion({world, store, steps: fakeSteps({}, ran), started: again, options: gate, signal: new AbortController().signal});
		expect(second.status).toBe('done');
		expect(ran).toEqual(['wait-ci-staging (resumed)', 'update-staging', 'verify-staging']);
		expect(world.mutations).toEqual(['lock:acquired', 'lock:resumed', 'unlock']);
	});

	it('a failed promotion is over: running it again starts afresh (from preflight), and blocks no other branch', async () => {
		const store = new JournalStore(tmp());
		const failed = newJournal('lab@host', 'feature/x', 'staging');
		failed.status = 'failed';
		failed.steps[0]!.status = 'done';
		failed.steps[1]!.status = 'failed';
		store.save(failed);
		const again = startOrResume(store, 'lab@host', 'feature/x', 'staging');
		expect(again.resumed).toBe(false);
		expect(again.journal.id).not.toBe(failed.id);
		expect(again.journal.steps.every(s => s.status === 'pending')).toBe(true);
		expect(startOrResume(store, 'lab@host', 'feature/other', 'staging').resumed).toBe(false);
	});

	it('simulated crash (journal left "running" by a dead process) resumes at the running step', async () => {
		const world = fakeWorld();
		const store = new JournalStore(tmp());
		const crashed: Journal = newJournal('lab@host', 'feature/x', 'staging');
		crashed.pid = 999_999_999;
		crashed.steps[0]!.status = 'done';
		crashed.steps[1]!.status = 'done';
		crashed.steps[2]!.status = 'running';
		store.save(crashed);
		world.lockHolder = {id: crashed.id, who: crashed.who, since: crashed.startedAt, branch: 'feature/x'};
		const ran: string[] = [];
		const result = await runPromotion({world, store, steps: fakeSteps({}, ran), started: startOrResume(store, 'lab@host', 'feature/x', 'staging'), options: gate, signal: new AbortController().signal});
		expect(result.status).toBe('done');
		expect(ran).toEqual(['wait-ci-staging (resumed)', 'update-staging', 'verify-staging']);
		expect(world.audits.some(a => a.action === 'promote.resume')).toBe(true);
	});

	it('refuses to start while another promotion holds the host lock, changing nothing', async () => {
		const world = fakeWorld();
		world.lockHolder = {id: 'other', who: 'ana@laptop', since: '2026-12-04T10:00:00Z', branch: 'feature/y'};
		const store = new JournalStore(tmp());
		const ran: string[] = [];
		const journal = await runPromotion({world, store, steps: fakeSteps({}, ran), started: startOrResume(store, 'lab@host', 'feature/x', 'staging'), options: gate, signal: new AbortController().signal});
		expect(journal.status).toBe('failed');
		expect(journal.reason?.[0]).toContain('ana@laptop');
		expect(ran).toEqual(['preflight']);
		expect(world.lockHolder?.id).toBe('other');
	});

	it('a declined production gate aborts the promotion without touching production', async () => {
		const world = fakeWorld();
		const store = new JournalStore(tmp());
		const ran: string[] = [];
		const steps = promotionSteps(profile).map(real => real.id === 'gate' ? real : fakeSteps({}, ran).find(s => s.id === real.id)!);
		const started = startOrResume(store, 'lab@host', 'feature/x', 'production');
		started.journal.facts.stagingCommit = 'b'.repeat(40);
		world.repo = new GitRepo(tmp(), 'origin', async args => ({code: 0, stdout: args[0] === 'rev-parse' ? 'c'.repeat(40) : '', stderr: ''}));
		const journal = await runPromotion({world, store, steps, started, options: {ciTimeoutMs: 1000, confirmGate: async () => false}, signal: new AbortController().signal});
		expect(journal.status).toBe('aborted');
		expect(ran).not.toContain('merge-main');
		expect(ran).not.toContain('update-production');
		expect(world.audits.find(a => a.action === 'promote.gate' && a.outcome === 'aborted')?.detail).toContain('declined');
		expect(world.lockHolder).toBeUndefined();
	});

	it('--abort marks the unfinished promotion aborted and releases only its own lock', async () => {
		const world = fakeWorld();
		const store = new JournalStore(tmp());
		const j = newJournal('lab@host', 'feature/x', 'staging');
		j.status = 'interrupted';
		store.save(j);
		world.lockHolder = {id: j.id, who: j.who, since: j.startedAt, branch: 'feature/x'};
		const aborted = await abortPromotion(world, store, 'lab@host');
		expect(aborted.status).toBe('aborted');
		expect(store.unfinished('lab@host')).toBeUndefined();
		expect(world.lockHolder).toBeUndefined();
		await expect(abortPromotion(world, store, 'lab@host')).rejects.toThrow(/no unfinished promotion/u);
	});

	it('the dry run lists each step\'s commands and calls nothing that changes anything', async () => {
		const world = fakeWorld();
		world.repo = new GitRepo(tmp(), 'origin', async args => {
			if (args[0] === 'ls-remote') return {code: 0, stdout: `${'1'.repeat(40)}\trefs/heads/feature/x\n${'2'.repeat(40)}\trefs/heads/staging\n${'3'.repeat(40)}\trefs/heads/main\n`, stderr: ''};
			if (['fetch', 'push', 'commit-tree', 'update-ref'].includes(args[0]!)) throw new Error(`dry run ran git ${args[0]}`);
			return {code: 0, stdout: '', stderr: ''};
		});
		const plan = await planPromotion(world, promotionSteps(profile), 'feature/x', 'production');
		expect(plan.steps.map(s => s.id)).toEqual([...STEP_IDS]);
		expect(plan.steps.every(s => s.commands.length > 0)).toBe(true);
		expect(plan.steps[1]!.commands.join('\n')).toContain(`--force-with-lease=refs/heads/staging:${'2'.repeat(40)}`);
		expect(plan.notes.join('\n')).toContain('no promotion lock is held');
		expect(world.mutations).toEqual([]);
		const staging = await planPromotion(world, promotionSteps(profile), 'feature/x', 'staging');
		expect(staging.steps).toHaveLength(5);
	});
});

describe('wait for CI', () => {
	it('polls until the tag carries the commit, reading the image config only when the digest changes', async () => {
		const digests = ['sha256:old', 'sha256:old', 'sha256:old', 'sha256:new'];
		let configReads = 0;
		let clock = 0;
		const progress: string[] = [];
		const image = await waitForImage({
			digest: async () => digests.shift() ?? 'sha256:new',
			revision: async digest => {
				configReads++;
				return digest === 'sha256:new' ? 'abc123' : 'old000';
			},
		}, {image: 'repo', tag: 'staging', commit: 'abc123'}, {timeoutMs: 60_000, now: () => clock, sleep: async ms => {
			clock += ms;
		}, onProgress: m => progress.push(m)});
		expect(image).toEqual({digest: 'sha256:new', revision: 'abc123'});
		expect(configReads).toBe(2);
		expect(progress.length).toBe(3);
	});

	it('times out with what it last saw, saying the merge is pushed and no container changed', async () => {
		let clock = 0;
		const wait = waitForImage({digest: async () => 'sha256:0123456789abcdef', revision: async () => 'old'}, {image: 'repo', tag: 'staging', commit: 'abc123'}, {
			timeoutMs: 5000, now: () => clock, sleep: async ms => {
				clock += ms;
			},
		});
		await expect(wait).rejects.toMatchObject({kind: 'timeout'});
		await expect(wait).rejects.toThrow(/within 5 s/u);
	});
});

describe('gh detection', () => {
	const probe = (answers: Record<string, {code: number} | 'missing'>) => ({
		async run(args: readonly string[]) {
			const a = answers[args[0]!];
			if (a === 'missing' || !a) throw Object.assign(new Error('spawn gh ENOENT'), {code: 'ENOENT'});
			return {code: a.code, stdout: 'gh version 2.60.0', stderr: ''};
		},
	});

	it('recognises GitHub remotes only', () => {
		expect(isGitHubUrl('git@github.com:ankugo/jutsu-labs.git')).toBe(true);
		expect(isGitHubUrl('https://github.com/ankugo/jutsu-labs')).toBe(true);
		expect(isGitHubUrl('/tmp/jutsu-lab/git/jutsu-labs.git')).toBe(false);
		expect(isGitHubUrl('https://gitlab.com/x/y')).toBe(false);
	});

	it('falls back to git merge + push unless the remote is GitHub, gh is installed and gh is logged in', async () => {
		expect(await detectGh('/tmp/jutsu-lab/git/jutsu-labs.git', probe({'--version': {code: 0}, auth: {code: 0}}))).toMatchObject({use: false, reason: expect.stringContaining('not on GitHub')});
		expect(await detectGh('git@github.com:a/b.git', probe({'--version': 'missing'}))).toEqual({use: false, reason: 'the GitHub CLI (gh) is not installed'});
		expect(await detectGh('git@github.com:a/b.git', probe({'--version': {code: 0}, auth: {code: 1}}))).toMatchObject({use: false, reason: expect.stringContaining('not logged in')});
		expect(await detectGh('git@github.com:a/b.git', probe({'--version': {code: 0}, auth: {code: 0}}))).toEqual({use: true, version: 'gh version 2.60.0'});
	});

	it('on this machine (no gh), a GitHub remote still falls back to git', async () => {
		const {execaGhProbe} = await import('../../source/core/git/repo.js');
		const status = await detectGh('https://github.com/ankugo/jutsu-labs.git', execaGhProbe(tmpdir()));
		expect(status.use).toBe(false);
	});
});

describe('git repo (real git, local bare remote)', () => {
	function setup() {
		const dir = tmp('jutsu-git-');
		const run = (cwd: string, ...args: string[]) => execFileSync('git', args, {cwd, encoding: 'utf8', env: {...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e'}}).trim();
		run(dir, 'init', '-q', '--bare', '-b', 'main', 'origin.git');
		run(dir, 'clone', '-q', join(dir, 'origin.git'), 'work');
		const work = join(dir, 'work');
		writeFileSync(join(work, 'a.txt'), 'one\n');
		run(work, 'add', '.');
		run(work, 'commit', '-qm', 'initial');
		run(work, 'push', '-q', 'origin', 'HEAD:main', 'HEAD:staging');
		run(work, 'checkout', '-qb', 'feature/ok');
		writeFileSync(join(work, 'b.txt'), 'new\n');
		run(work, 'add', '.');
		run(work, 'commit', '-qm', 'add b');
		run(work, 'checkout', '-qb', 'feature/clash', 'main');
		writeFileSync(join(work, 'a.txt'), 'clash\n');
		run(work, 'commit', '-qam', 'change a on the feature');
		run(work, 'push', '-q', 'origin', 'feature/ok', 'feature/clash');
		// staging moves on and conflicts with feature/clash
		run(work, 'checkout', '-qb', 'tmp', 'main');
		writeFileSync(join(work, 'a.txt'), 'staging\n');
		run(work, 'commit', '-qam', 'change a on staging');
		run(work, 'push', '-q', 'origin', 'HEAD:staging');
		run(work, 'checkout', '-q', 'feature/ok');
		run(work, 'fetch', '-q');
		return {dir, work, run, repo: new GitRepo(work, 'origin')};
	}

	it('lists feature branches with ahead/behind against staging, finds conflicts, and merges + pushes without touching the checkout', async () => {
		const {repo, work, run, dir} = setup();
		const branches = await repo.featureBranches('feature/', 'refs/remotes/origin/staging');
		expect(branches.map(b => [b.name, b.ahead, b.behind])).toEqual(expect.arrayContaining([['feature/ok', 1, 1], ['feature/clash', 1, 1]]));
		expect(branches.find(b => b.name === 'feature/ok')?.last?.subject).toBe('add b');

		const staging = (await repo.resolve('refs/remotes/origin/staging'))!;
		const clash = await repo.mergeCheck(staging, (await repo.resolve('refs/remotes/origin/feature/clash'))!);
		expect(clash).toMatchObject({clean: false, conflicts: ['a.txt']});

		const ok = (await repo.resolve('refs/remotes/origin/feature/ok'))!;
		const check = await repo.mergeCheck(staging, ok);
		expect(check.clean).toBe(true);
		const commit = await repo.commitMerge(check.tree!, staging, ok, 'Merge feature/ok into staging');
		await repo.pushCommit(commit, 'staging', staging);
		expect(run(dir, '--git-dir', 'origin.git', 'rev-parse', 'staging')).toBe(commit);
		expect(run(dir, '--git-dir', 'origin.git', 'ls-tree', '-r', '--name-only', commit).split('\n')).toContain('b.txt');
		// The operator's checkout is untouched: still on feature/ok, clean.
		expect(run(work, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('feature/ok');
		expect(await repo.dirtyFiles()).toEqual([]);
		expect(await repo.mergeCheck(commit, ok)).toMatchObject({alreadyMerged: true});

		// A stale lease (staging moved since we looked) is refused and changes nothing.
		await expect(repo.pushCommit(ok, 'staging', staging)).rejects.toMatchObject({message: expect.stringMatching(/was refused: \[rejected\] \(stale info\)/u), untouched: 'origin/staging was not changed.'});
		expect(run(dir, '--git-dir', 'origin.git', 'rev-parse', 'staging')).toBe(commit);

		writeFileSync(join(work, 'b.txt'), 'dirty\n');
		expect(await repo.dirtyFiles()).toEqual(['b.txt']);
	});
});

describe('gh workflow run state (shown while waiting for CI when gh is usable)', () => {
	it('reads gh run list JSON into one line', async () => {
		const {describeGhRun} = await import('../../source/core/promote/world.js');
		expect(describeGhRun('[{"status":"in_progress","conclusion":"","workflowName":"Build and Push Docker Image"}]')).toBe('CI: Build and Push Docker Image in_progress');
		expect(describeGhRun('[{"status":"completed","conclusion":"failure","workflowName":"Build"}]')).toBe('CI: Build failure');
		expect(describeGhRun('[]')).toBe('CI: no workflow run yet');
		expect(describeGhRun('not json')).toBe('');
	});
});
