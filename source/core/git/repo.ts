import {existsSync} from 'node:fs';
import {resolve} from 'node:path';
import {OpsError} from '../errors.js';
import {shellJoin} from '../quote.js';
import {scrubber} from '../secrets.js';

/**
 * The app's repository on the operator's machine (profile.repo.path), driven with `git` through execa.
 * Merges are made with plumbing (merge-tree + commit-tree) and pushed by commit id, so the operator's checkout
 * and working tree are never touched and exactly the checked commits land.
 */

export interface GitResult {
	stdout: string;
	stderr: string;
	code: number;
}

/** Runs one git command; recorded by the caller's audit hook. Never throws for a non-zero exit. */
export type GitRunner = (args: readonly string[], options?: {signal?: AbortSignal; timeoutMs?: number; input?: string; env?: Record<string, string>}) => Promise<GitResult>;

export interface GitAuditHook {
	(entry: {command: string; code: number; durationMs: number}): void;
}

export function gitRunner(repoPath: string, onCommand?: GitAuditHook): GitRunner {
	const cwd = resolve(repoPath);
	return async (args, options = {}) => {
		if (!existsSync(cwd)) throw new OpsError('config', `The repo folder ${cwd} does not exist (repo.path in the profile).`, {untouched: 'Nothing was changed.', hint: 'Set repo.path to a local clone of the app\'s repository.'});
		const {execa} = await import('execa');
		const started = Date.now();
		const r = await execa('git', ['-C', cwd, ...args], {
			reject: false, cancelSignal: options.signal, timeout: options.timeoutMs ?? 60_000,
			...(options.input === undefined ? {stdin: 'ignore' as const} : {input: options.input}),
			env: {GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...options.env},
		});
		const code = typeof r.exitCode === 'number' ? r.exitCode : -1;
		onCommand?.({command: shellJoin(['git', '-C', cwd, ...args]), code, durationMs: Date.now() - started});
		if (options.signal?.aborted) throw new OpsError('aborted', `git ${args[0]} was interrupted.`);
		return {stdout: String(r.stdout ?? ''), stderr: scrubber.scrub(String(r.stderr ?? '')), code};
	};
}

export interface Commit {
	sha: string;
	subject: string;
	author: string;
	date: string;
}

export interface FeatureBranch {
	name: string;
	local: string | undefined;
	remote: string | undefined;
	/** Commits on the branch not in the base (remote staging). */
	ahead: number;
	behind: number;
	last: Commit | undefined;
}

export interface MergeCheck {
	clean: boolean;
	/** The tree the merge would produce (clean merges only). */
	tree?: string;
	conflicts: string[];
	/** The head is already contained in the base: nothing to merge. */
	alreadyMerged: boolean;
	/** The base is an ancestor of the head: a fast-forward is possible. */
	fastForward: boolean;
}

const SEP = '\u001F';
const LOG_FORMAT = `--format=%H${SEP}%s${SEP}%an${SEP}%cI`;

function parseCommits(stdout: string): Commit[] {
	return stdout.split('\n').filter(Boolean).map(line => {
		const [sha = '', subject = '', author = '', date = ''] = line.split(SEP);
		return {sha, subject, author, date};
	});
}

function firstLine(text: string): string {
	return text.trim().split('\n').map(l => l.trim()).find(Boolean) ?? '';
}

export class GitRepo {
	readonly remote: string;
	readonly path: string;
	private readonly git: GitRunner;

	constructor(path: string, remote: string, runner?: GitRunner) {
		this.path = resolve(path);
		this.remote = remote;
		this.git = runner ?? gitRunner(path);
	}

	private async ok(args: readonly string[], what: string, signal?: AbortSignal, timeoutMs?: number): Promise<string> {
		const r = await this.git(args, {signal, timeoutMs});
		if (r.code !== 0) {
			const first = firstLine(r.stderr) || `exit ${r.code}`;
			if (/not a git repository/iu.test(first)) {
				throw new OpsError('config', `${this.path} is not a git repository (repo.path in the profile).`, {untouched: 'Nothing was changed.', hint: 'Set repo.path to a local clone of the app\'s repository.'});
			}
			throw new OpsError('failure', `${what} failed: ${first}`, {hint: `Run \`${shellJoin(['git', ...args])}\` in ${this.path} to see more.`});
		}
		return r.stdout;
	}

	remoteRef(branch: string): string {
		return `refs/remotes/${this.remote}/${branch}`;
	}

	/** The commit of a ref, or undefined when it does not exist. */
	async resolve(ref: string, signal?: AbortSignal): Promise<string | undefined> {
		const r = await this.git(['rev-parse', '--verify', '-q', `${ref}^{commit}`], {signal});
		return r.code === 0 ? r.stdout.trim() || undefined : undefined;
	}

	/** Tracked changes (staged or not) in the working tree; untracked files do not count. */
	async dirtyFiles(signal?: AbortSignal): Promise<string[]> {
		const out = await this.ok(['status', '--porcelain', '--untracked-files=no'], 'Reading the working tree', signal);
		return out.split('\n').filter(Boolean).map(l => l.slice(3));
	}

	async fetch(signal?: AbortSignal): Promise<void> {
		await this.ok(['fetch', '--prune', '--quiet', this.remote], `git fetch ${this.remote}`, signal, 120_000);
	}

	/** The remote's branch heads as the remote itself reports them (read-only; nothing local changes). */
	async lsRemote(branches: readonly string[], signal?: AbortSignal): Promise<Map<string, string>> {
		const out = await this.ok(['ls-remote', '--heads', '--', this.remote, ...branches.map(b => `refs/heads/${b}`)], `git ls-remote ${this.remote}`, signal);
		const map = new Map<string, string>();
		for (const line of out.split('\n').filter(Boolean)) {
			const [sha, ref] = line.split('\t');
			if (sha && ref?.startsWith('refs/heads/')) map.set(ref.slice('refs/heads/'.length), sha);
		}
		return map;
	}

	async isAncestor(ancestor: string, of: string, signal?: AbortSignal): Promise<boolean> {
		const r = await this.git(['merge-base', '--is-ancestor', ancestor, of], {signal});
		if (r.code === 0) return true;
		if (r.code === 1) return false;
		throw new OpsError('failure', `Comparing ${ancestor.slice(0, 12)} with ${of.slice(0, 12)} failed: ${firstLine(r.stderr)}`);
	}

	async aheadBehind(base: string, head: string, signal?: AbortSignal): Promise<{ahead: number; behind: number}> {
		const out = await this.ok(['rev-list', '--left-right', '--count', `${base}...${head}`], 'Counting commits', signal);
		const [behind = '0', ahead = '0'] = out.trim().split(/\s+/u);
		return {ahead: Number(ahead), behind: Number(behind)};
	}

	async lastCommit(ref: string, signal?: AbortSignal): Promise<Commit | undefined> {
		const r = await this.git(['log', '-1', LOG_FORMAT, ref, '--'], {signal});
		return r.code === 0 ? parseCommits(r.stdout)[0] : undefined;
	}

	/** Commits in head that base lacks, newest first. */
	async commitsToLand(base: string, head: string, signal?: AbortSignal): Promise<Commit[]> {
		return parseCommits(await this.ok(['log', LOG_FORMAT, `${base}..${head}`, '--'], 'Listing commits', signal));
	}

	/** `git diff --stat` of what merging head into base brings. */
	async diffstat(base: string, head: string, signal?: AbortSignal): Promise<string> {
		return (await this.ok(['diff', '--stat', `${base}...${head}`, '--'], 'Computing the diffstat', signal)).trimEnd();
	}

	/** Feature branches (local and on the remote-tracking refs) with ahead/behind against `base` and their last commit. */
	async featureBranches(prefix: string, base: string, signal?: AbortSignal): Promise<FeatureBranch[]> {
		const out = await this.ok(['for-each-ref', '--format=%(refname)%09%(objectname)', `refs/heads/${prefix}`, `refs/remotes/${this.remote}/${prefix}`], 'Listing branches', signal);
		const branches = new Map<string, FeatureBranch>();
		for (const line of out.split('\n').filter(Boolean)) {
			const [ref = '', sha = ''] = line.split('\t');
			const local = ref.startsWith('refs/heads/');
			const name = local ? ref.slice('refs/heads/'.length) : ref.slice(`refs/remotes/${this.remote}/`.length);
			const entry = branches.get(name) ?? {name, local: undefined, remote: undefined, ahead: 0, behind: 0, last: undefined};
			if (local) entry.local = sha;
			else entry.remote = sha;
			branches.set(name, entry);
		}
		const baseSha = await this.resolve(base, signal);
		const list = [...branches.values()];
		await Promise.all(list.map(async b => {
			const head = b.local ?? b.remote!;
			b.last = await this.lastCommit(head, signal);
			if (baseSha) Object.assign(b, await this.aheadBehind(baseSha, head, signal));
		}));
		return list.sort((a, b) => (b.last?.date ?? '').localeCompare(a.last?.date ?? '') || a.name.localeCompare(b.name));
	}

	/** Would merging head into base succeed without conflicts? Writes only unreferenced objects. */
	async mergeCheck(base: string, head: string, signal?: AbortSignal): Promise<MergeCheck> {
		if (await this.isAncestor(head, base, signal)) return {clean: true, conflicts: [], alreadyMerged: true, fastForward: false};
		const fastForward = await this.isAncestor(base, head, signal);
		const r = await this.git(['merge-tree', '--write-tree', '--name-only', '--no-messages', base, head], {signal});
		const lines = r.stdout.split('\n').filter(Boolean);
		if (r.code === 0) return {clean: true, tree: lines[0], conflicts: [], alreadyMerged: false, fastForward};
		if (r.code === 1) return {clean: false, conflicts: [...new Set(lines.slice(1))], alreadyMerged: false, fastForward};
		throw new OpsError('failure', `Checking the merge of ${head.slice(0, 12)} into ${base.slice(0, 12)} failed: ${firstLine(r.stderr) || `exit ${r.code}`}`);
	}

	/** A merge commit of head into base (both commit ids) with the given tree; nothing is checked out. */
	async commitMerge(tree: string, base: string, head: string, message: string, signal?: AbortSignal): Promise<string> {
		return (await this.ok(['commit-tree', tree, '-p', base, '-p', head, '-m', message], 'Writing the merge commit', signal)).trim();
	}

	/**
	 * Push a commit to the remote branch only if the branch is still at `expected` (a lease), so a push someone
	 * made meanwhile is never overwritten.
	 */
	async pushCommit(commit: string, branch: string, expected: string, signal?: AbortSignal): Promise<void> {
		const r = await this.git(['push', '--porcelain', `--force-with-lease=refs/heads/${branch}:${expected}`, this.remote, `${commit}:refs/heads/${branch}`], {signal, timeoutMs: 120_000});
		if (r.code !== 0) {
			const rejected = r.stdout.split('\n').find(l => l.startsWith('!'))?.split('\t').at(-1)?.trim();
			const why = rejected || firstLine(r.stderr) || `exit ${r.code}`;
			throw new OpsError('failure', `Pushing ${commit.slice(0, 12)} to ${this.remote}/${branch} was refused: ${why}.`, {
				untouched: `${this.remote}/${branch} was not changed.`,
				hint: `Someone may have pushed to ${branch} meanwhile: fetch, look, and run the promotion again.`,
			});
		}
		// Keep the remote-tracking ref in step without a second fetch.
		await this.git(['update-ref', this.remoteRef(branch), commit], {signal});
	}
}

// ---------------------------------------------------------------- gh (GitHub CLI)

export type GhStatus =
	| {use: true; version: string}
	| {use: false; reason: string};

export interface GhProbe {
	/** Runs `gh` with args; code 127 (or a thrown ENOENT) when it is not installed. */
	run(args: readonly string[]): Promise<{code: number; stdout: string; stderr: string}>;
}

/** Is the remote on GitHub? (https://github.com/o/r, git@github.com:o/r, ssh://git@github.com/o/r) */
export function isGitHubUrl(url: string): boolean {
	return /^(?:https?:\/\/(?:[^@/]+@)?github\.com[/:]|git@github\.com:|ssh:\/\/git@github\.com[/:])/iu.test(url.trim());
}

/**
 * Use `gh` for the merge only when the remote is GitHub, gh is installed, and `gh auth status` says it is logged
 * in; otherwise git merge + push, with the reason.
 */
export async function detectGh(remoteUrl: string | undefined, probe: GhProbe): Promise<GhStatus> {
	if (!remoteUrl || !isGitHubUrl(remoteUrl)) return {use: false, reason: `the remote ${remoteUrl ?? '(none)'} is not on GitHub`};
	let version;
	try {
		version = await probe.run(['--version']);
	} catch {
		return {use: false, reason: 'the GitHub CLI (gh) is not installed'};
	}
	if (version.code !== 0) return {use: false, reason: 'the GitHub CLI (gh) is not installed'};
	const auth = await probe.run(['auth', 'status', '--hostname', 'github.com']).catch(() => ({code: 1, stdout: '', stderr: ''}));
	if (auth.code !== 0) return {use: false, reason: 'gh is installed but not logged in (gh auth login)'};
	return {use: true, version: firstLine(version.stdout)};
}

export function execaGhProbe(cwd: string): GhProbe {
	return {
		async run(args) {
			const {execa} = await import('execa');
			const r = await execa('gh', [...args], {cwd, reject: false, timeout: 20_000, stdin: 'ignore', env: {GH_PROMPT_DISABLED: '1', NO_COLOR: '1'}});
			const missing = (r as {code?: string}).code === 'ENOENT' || r.failed && r.exitCode === undefined;
			return {code: missing ? 127 : (r.exitCode ?? 1), stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '')};
		},
	};
}
