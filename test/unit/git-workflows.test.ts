import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, writeFileSync, mkdirSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {OpsError} from '../../source/core/errors.js';
import {gitRunner} from '../../source/core/git/repo.js';
import {addPushBranch, commitFileToBranch, fetchBranch, proposeTriggerChange, unifiedDiff, workflowsAt} from '../../source/core/git/workflows.js';
import {SEED_WORKFLOW} from '../support/safety-fakes.js';

const STAGING_LINE = '      - staging   # Build and tag as \'staging\'\n';
const BEFORE_TASK_1_2 = SEED_WORKFLOW.replace(STAGING_LINE, '');
const MAIN = {branch: 'main', tag: 'latest'};
const STAGING = {branch: 'staging', tag: 'staging'};

describe('the workflow change setup staging proposes', () => {
	it('adds the branch to the push trigger as a person would, leaving the rest of the file byte for byte', () => {
		expect(BEFORE_TASK_1_2).not.toContain('- staging');
		const after = addPushBranch(BEFORE_TASK_1_2, 'staging', 'Build and tag as \'staging\'')!;
		const added = after.split('\n').filter(l => !BEFORE_TASK_1_2.split('\n').includes(l));
		expect(added).toEqual(['      - staging   # Build and tag as \'staging\'']);
		expect(after.split('\n')).toHaveLength(BEFORE_TASK_1_2.split('\n').length + 1);
		// flow style, and files without a branch list to extend
		expect(addPushBranch('on:\n  push:\n    branches: [main]\njobs: {}\n', 'staging')).toBe('on:\n  push:\n    branches: [main, staging]\njobs: {}\n');
		expect(addPushBranch('on: push\njobs: {}\n', 'staging')).toBeUndefined();
		expect(addPushBranch('on:\n  pull_request:\n    branches:\n      - main\n', 'staging')).toBeUndefined();
	});

	it('proposes it only where the workflow\'s own tag logic then builds :staging; says so when it cannot', () => {
		const change = proposeTriggerChange([{file: '.github/workflows/docker-publish.yml', text: BEFORE_TASK_1_2}], MAIN, STAGING)!;
		expect(change.file).toBe('.github/workflows/docker-publish.yml');
		expect(change.after).toContain(STAGING_LINE.trimEnd());
		expect(proposeTriggerChange([{file: 'a.yml', text: SEED_WORKFLOW}], MAIN, STAGING)).toBeUndefined();
		// a workflow that hard-codes :latest would build :latest from staging: no automatic change
		const hardCoded = BEFORE_TASK_1_2.replace('ankugo/jutsu-labs:${{ steps.set_tag.outputs.tag }}', 'ankugo/jutsu-labs:latest');
		expect(() => proposeTriggerChange([{file: 'a.yml', text: hardCoded}], MAIN, STAGING)).toThrow(OpsError);
		expect(() => proposeTriggerChange([{file: 'a.yml', text: hardCoded}], MAIN, STAGING)).toThrow(/No workflow could be extended/u);
		const diff = unifiedDiff(change, 'origin/main');
		expect(diff[0]).toBe('--- a/.github/workflows/docker-publish.yml (origin/main)');
		expect(diff.filter(l => l.startsWith('+') && !l.startsWith('+++'))).toEqual(['+      - staging   # Build and tag as \'staging\'']);
		expect(diff.filter(l => l.startsWith('-') && !l.startsWith('---'))).toEqual([]);
	});

	it('commits it on top of the remote branch and pushes it; the operator\'s checkout, index and working tree stay as they were; a moved branch is not overwritten', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'jutsu-git-wf-'));
		const origin = join(dir, 'origin.git');
		const clone = join(dir, 'clone');
		const sh = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {cwd, encoding: 'utf8'}).trim();
		execFileSync('git', ['init', '-q', '--bare', '-b', 'main', origin]);
		execFileSync('git', ['clone', '-q', origin, clone], {stdio: 'ignore'});
		mkdirSync(join(clone, '.github/workflows'), {recursive: true});
		writeFileSync(join(clone, '.github/workflows/docker-publish.yml'), BEFORE_TASK_1_2);
		writeFileSync(join(clone, 'README.md'), 'app\n');
		sh(clone, 'add', '-A');
		sh(clone, 'commit', '-q', '-m', 'initial');
		sh(clone, 'push', '-q', 'origin', 'HEAD:main');
		// the operator is in the middle of something: a staged file and an unstaged edit
		writeFileSync(join(clone, 'NOTES.md'), 'staged\n');
		sh(clone, 'add', 'NOTES.md');
		writeFileSync(join(clone, 'README.md'), 'app, edited\n');
		const before = {head: sh(clone, 'rev-parse', 'HEAD'), status: sh(clone, 'status', '--porcelain'), branch: sh(clone, 'branch', '--show-current')};

		const git = gitRunner(clone);
		const tip = (await fetchBranch(git, 'origin', 'main'))!;
		expect(await fetchBranch(git, 'origin', 'staging')).toBeUndefined();
		const change = proposeTriggerChange(await workflowsAt(git, tip), MAIN, STAGING)!;
		const commit = await commitFileToBranch(git, 'origin', {branch: 'main', commit: tip, ...change}, 'ci: build :staging from staging');

		expect(execFileSync('git', ['--git-dir', origin, 'rev-parse', 'refs/heads/main'], {encoding: 'utf8'}).trim()).toBe(commit);
		expect(execFileSync('git', ['--git-dir', origin, 'show', `${commit}:.github/workflows/docker-publish.yml`], {encoding: 'utf8'})).toBe(change.after);
		expect(execFileSync('git', ['--git-dir', origin, 'show', `${commit}:README.md`], {encoding: 'utf8'})).toBe('app\n');
		expect(execFileSync('git', ['--git-dir', origin, 'rev-parse', `${commit}^`], {encoding: 'utf8'}).trim()).toBe(tip);
		expect({head: sh(clone, 'rev-parse', 'HEAD'), status: sh(clone, 'status', '--porcelain'), branch: sh(clone, 'branch', '--show-current')}).toEqual(before);
		expect(readFileSync(join(clone, '.github/workflows/docker-publish.yml'), 'utf8')).toBe(BEFORE_TASK_1_2);

		// the same change from the old tip again: the branch moved, the lease refuses, the remote keeps its commit
		await expect(commitFileToBranch(git, 'origin', {branch: 'main', commit: tip, ...change}, 'again')).rejects.toThrow(/git push origin main failed/u);
		expect(execFileSync('git', ['--git-dir', origin, 'rev-parse', 'refs/heads/main'], {encoding: 'utf8'}).trim()).toBe(commit);
	});
});
