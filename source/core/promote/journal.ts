import {randomBytes} from 'node:crypto';
import {existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import {homedir} from 'node:os';
import {join} from 'node:path';
import {type Journal, type PromotionTarget, stepsFor, type StepRecord} from './types.js';

/** Where promotions are journalled: $JUTSU_OPS_STATE_DIR, else $XDG_STATE_HOME/jutsu-ops, + /promotions. */
export function defaultJournalDir(): string {
	const base = process.env.JUTSU_OPS_STATE_DIR
		?? join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'jutsu-ops');
	return join(base, 'promotions');
}

import {whoAmI} from '../who.js';

export function newJournal(profileKey: string, branch: string, target: PromotionTarget, now = new Date()): Journal {
	const stamp = now.toISOString().replace(/[-:]/gu, '').replace(/\..*$/u, '');
	return {
		version: 1,
		id: `${stamp}-${randomBytes(3).toString('hex')}`,
		profileKey,
		branch,
		target,
		status: 'running',
		who: whoAmI(),
		pid: process.pid,
		startedAt: now.toISOString(),
		updatedAt: now.toISOString(),
		steps: stepsFor(target).map(id => ({id, status: 'pending'})),
		facts: {},
	};
}

/** Make the journal's step list match a (possibly new) target, keeping what was done. */
export function retarget(journal: Journal, target: PromotionTarget): void {
	const old = new Map(journal.steps.map(s => [s.id, s]));
	journal.target = target;
	journal.steps = stepsFor(target).map(id => old.get(id) ?? {id, status: 'pending'} satisfies StepRecord);
}

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/** JSON files, one per promotion, written atomically (temp file + rename) after every step. */
export class JournalStore {
	readonly dir: string;

	constructor(dir = defaultJournalDir()) {
		this.dir = dir;
	}

	file(id: string): string {
		return join(this.dir, `${id}.json`);
	}

	save(journal: Journal): void {
		journal.updatedAt = new Date().toISOString();
		mkdirSync(this.dir, {recursive: true, mode: 0o700});
		const tmp = join(this.dir, `.${journal.id}.${process.pid}.tmp`);
		writeFileSync(tmp, `${JSON.stringify(journal, null, 2)}\n`, {mode: 0o600});
		renameSync(tmp, this.file(journal.id));
	}

	load(id: string): Journal | undefined {
		try {
			return JSON.parse(readFileSync(this.file(id), 'utf8')) as Journal;
		} catch {
			return undefined;
		}
	}

	list(): Journal[] {
		if (!existsSync(this.dir)) return [];
		return readdirSync(this.dir).filter(f => f.endsWith('.json') && !f.startsWith('.'))
			.flatMap(f => {
				const j = this.load(f.slice(0, -5));
				return j ? [j] : [];
			})
			.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
	}

	/**
	 * The newest promotion of this profile that stopped part-way (crashed while running, or interrupted). A failed
	 * promotion is over: running the command again starts afresh, and its steps skip what is already done.
	 */
	unfinished(profileKey: string): Journal | undefined {
		return this.list().filter(j => j.profileKey === profileKey && (j.status === 'running' || j.status === 'interrupted')).at(-1);
	}

	/** The newest promotion of this profile, whatever its state. */
	latest(profileKey: string): Journal | undefined {
		return this.list().filter(j => j.profileKey === profileKey).at(-1);
	}

	/** A "running" journal whose process is still alive on this machine belongs to someone else right now. */
	static liveElsewhere(journal: Journal): boolean {
		return journal.status === 'running' && journal.pid !== process.pid && journal.who === whoAmI() && alive(journal.pid);
	}
}
