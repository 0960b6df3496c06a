/**
 * The CI workflows as CI sees them: a push to a branch runs the `.github/workflows` of that branch's own commit,
 * so they are read from the remote's branch (fetched into its remote-tracking ref), never from the working tree.
 * And the one change setup staging proposes: add the staging branch to a workflow's push trigger, written as a
 * commit on top of the remote branch (plumbing: the operator's checkout and working tree are never touched).
 */
import {rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {OpsError} from '../errors.js';
import {parseYaml, tagOf, tagsBuiltFor, triggersOnPush} from '../safety/workflow.js';
import type {GitRunner} from './repo.js';

export interface WorkflowFile {
	file: string;
	text: string;
}

const firstLine = (text: string) => text.trim().split('\n').find(Boolean) ?? '';

/** Fetch one branch of the remote into its remote-tracking ref; undefined when the remote has no such branch. */
export async function fetchBranch(git: GitRunner, remote: string, branch: string, signal?: AbortSignal): Promise<string | undefined> {
	const heads = await git(['ls-remote', '--heads', '--', remote, `refs/heads/${branch}`], {signal});
	if (heads.code !== 0) throw new OpsError('remote', `Could not read the branches of ${remote}: ${firstLine(heads.stderr)}`, {hint: 'Nothing was changed. Check repo.path and the remote.'});
	if (!heads.stdout.trim()) return undefined;
	const ref = `refs/remotes/${remote}/${branch}`;
	const fetched = await git(['fetch', '--quiet', '--no-tags', remote, `+refs/heads/${branch}:${ref}`], {signal, timeoutMs: 120_000});
	if (fetched.code !== 0) throw new OpsError('remote', `git fetch ${remote} ${branch} failed: ${firstLine(fetched.stderr)}`, {hint: 'Nothing was changed.'});
	const sha = await git(['rev-parse', '--verify', '-q', `${ref}^{commit}`], {signal});
	return sha.code === 0 ? sha.stdout.trim() : undefined;
}

/** The workflow files of one commit. */
export async function workflowsAt(git: GitRunner, commit: string, signal?: AbortSignal): Promise<WorkflowFile[]> {
	const list = await git(['ls-tree', '--name-only', '-z', commit, '--', '.github/workflows/'], {signal});
	if (list.code !== 0) throw new OpsError('remote', `Could not list .github/workflows in ${commit.slice(0, 12)}: ${firstLine(list.stderr)}`);
	const files = list.stdout.split('\0').filter(f => /\.ya?ml$/u.test(f)).sort();
	return Promise.all(files.map(async file => {
		const show = await git(['show', `${commit}:${file}`], {signal});
		if (show.code !== 0) throw new OpsError('remote', `Could not read ${file} in ${commit.slice(0, 12)}: ${firstLine(show.stderr)}`);
		return {file, text: show.stdout};
	}));
}

/**
 * Add `branch` to the `on: push: branches:` list of a workflow, as a person would edit it (the rest of the file
 * byte for byte). Undefined when the file has no such list to extend.
 */
export function addPushBranch(text: string, branch: string, comment?: string): string | undefined {
	const lines = text.split('\n');
	const indentOf = (line: string) => line.length - line.trimStart().length;
	const meaningful = (line: string) => line.trim() !== '' && !line.trimStart().startsWith('#');
	const find = (key: string, from: number, to: number, indent?: number) => {
		for (let i = from; i < to; i++) {
			const line = lines[i]!;
			if (!meaningful(line)) continue;
			if (indent !== undefined && indentOf(line) < indent) return -1;
			if (new RegExp(`^\\s*["']?${key}["']?\\s*:`, 'u').test(line) && (indent === undefined || indentOf(line) >= indent)) return i;
		}
		return -1;
	};
	const blockEnd = (start: number) => {
		const indent = indentOf(lines[start]!);
		let end = start + 1;
		while (end < lines.length && (!meaningful(lines[end]!) || indentOf(lines[end]!) > indent)) end++;
		while (end > start + 1 && !meaningful(lines[end - 1]!)) end--;
		return end;
	};
	const on = lines.findIndex(l => /^["']?on["']?\s*:/u.test(l));
	if (on < 0) return undefined;
	const onEnd = blockEnd(on);
	const push = find('push', on + 1, onEnd, indentOf(lines[on]!) + 1);
	if (push < 0) return undefined;
	const pushEnd = blockEnd(push);
	const branches = find('branches', push + 1, pushEnd, indentOf(lines[push]!) + 1);
	if (branches < 0) return undefined;
	const line = lines[branches]!;
	const flow = /^(?<head>\s*["']?branches["']?\s*:\s*\[)(?<items>[^\]]*)\](?<tail>.*)$/u.exec(line);
	if (flow) {
		const items = flow.groups!.items!.trim();
		lines[branches] = `${flow.groups!.head}${items ? `${flow.groups!.items!.replace(/\s*$/u, '')}, ` : ''}${branch}]${flow.groups!.tail}`;
		return lines.join('\n');
	}
	const end = blockEnd(branches);
	const items = lines.slice(branches + 1, end).filter(l => /^\s*-\s/u.test(l));
	if (items.length === 0) return undefined;
	const last = items.at(-1)!;
	const dash = last.slice(0, last.indexOf('-') + 1);
	lines.splice(end, 0, `${dash} ${branch}${comment ? `   # ${comment}` : ''}`);
	return lines.join('\n');
}

export interface WorkflowChange {
	branch: string;
	commit: string;
	file: string;
	before: string;
	after: string;
}

/**
 * The change that makes a push to `target.branch` build `:target.tag`, on one remote branch's workflows: the
 * workflow that builds `:base.tag` from `base.branch` gets `target.branch` in its push trigger, provided the
 * workflow's own tag logic then yields `:target.tag` for it. Undefined when nothing needs to change; throws
 * when no such workflow exists (the operator has to write it).
 */
export function proposeTriggerChange(
	files: readonly WorkflowFile[],
	base: {branch: string; tag: string},
	target: {branch: string; tag: string},
): {file: string; before: string; after: string} | undefined {
	const builds = (text: string, branch: string, tag: string) => {
		try {
			const workflow = parseYaml(text);
			return triggersOnPush(workflow, branch) && (tagsBuiltFor(workflow, branch) ?? []).some(t => tagOf(t) === tag);
		} catch {
			return false;
		}
	};
	if (files.some(f => builds(f.text, target.branch, target.tag))) return undefined;
	for (const {file, text} of files) {
		if (!builds(text, base.branch, base.tag)) continue;
		const after = addPushBranch(text, target.branch, `Build and tag as '${target.tag}'`);
		if (after && builds(after, target.branch, target.tag)) return {file, before: text, after};
	}
	throw new OpsError('failure', `No workflow could be extended so that a push to ${target.branch} builds :${target.tag} (none that builds :${base.tag} from ${base.branch} tags the image with the branch name).`, {
		untouched: 'Nothing was pushed.',
		hint: `Write it by hand as in the seed's Task 1.2 (on: push: branches: [${base.branch}, ${target.branch}], tag = branch name, latest for ${base.branch}), push it, then run setup staging again.`,
	});
}

/**
 * One file replaced on top of a branch tip, as a new commit, pushed with a lease on that tip (a branch that
 * moved meanwhile is not overwritten). Returns the new commit.
 */
export async function commitFileToBranch(
	git: GitRunner,
	remote: string,
	change: WorkflowChange,
	message: string,
	signal?: AbortSignal,
): Promise<string> {
	const index = join(tmpdir(), `jutsu-ops-index-${process.pid}-${Date.now()}`);
	const step = async (args: string[], what: string, input?: string) => {
		const r = await git(args, {signal, env: {GIT_INDEX_FILE: index}, ...(input === undefined ? {} : {input})});
		if (r.code !== 0) throw new OpsError('failure', `${what} failed: ${firstLine(r.stderr)}`, {untouched: `${remote}/${change.branch} was not changed.`});
		return r.stdout.trim();
	};
	let newTree: string;
	try {
		// a private index: the operator's own index and working tree are never touched
		const blob = await step(['hash-object', '-w', '--stdin'], 'Writing the workflow', change.after);
		await step(['read-tree', change.commit], 'Reading the branch');
		await step(['update-index', '--add', '--cacheinfo', `100644,${blob},${change.file}`], 'Staging the workflow');
		newTree = await step(['write-tree'], 'Writing the tree');
	} finally {
		rmSync(index, {force: true});
	}
	const commit = await step(['-c', 'user.name=jutsu-ops', '-c', 'user.email=jutsu-ops@localhost', 'commit-tree', newTree, '-p', change.commit, '-m', message], 'Writing the commit');
	await step(['push', '--porcelain', `--force-with-lease=refs/heads/${change.branch}:${change.commit}`, remote, `${commit}:refs/heads/${change.branch}`], `git push ${remote} ${change.branch}`);
	return commit;
}

/** A unified diff of the change, for the preview. */
export function unifiedDiff(change: {file: string; before: string; after: string}, label: string): string[] {
	const a = change.before.split('\n');
	const b = change.after.split('\n');
	let start = 0;
	while (start < a.length && start < b.length && a[start] === b[start]) start++;
	let endA = a.length;
	let endB = b.length;
	while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
		endA--;
		endB--;
	}
	const from = Math.max(0, start - 3);
	const toA = Math.min(a.length, endA + 3);
	const toB = Math.min(b.length, endB + 3);
	return [
		`--- a/${change.file} (${label})`,
		`+++ b/${change.file}`,
		`@@ -${from + 1},${toA - from} +${from + 1},${toB - from} @@`,
		...a.slice(from, start).map(l => ` ${l}`),
		...a.slice(start, endA).map(l => `-${l}`),
		...b.slice(start, endB).map(l => `+${l}`),
		...a.slice(endA, toA).map(l => ` ${l}`),
	];
}
