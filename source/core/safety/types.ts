import type {ColumnInfo} from '../db/pg.js';
import type {Container} from '../docker/containers.js';
import type {HttpProbe} from '../app/probe.js';
import type {EnvironmentName, Profile} from '../config/schema.js';
import type {ScheduleInfo} from '../sync/schedule.js';

export type SafetyStatus = 'pass' | 'warn' | 'fail' | 'skip';
export const SAFETY_GROUPS = ['git', 'staging-container', 'app', 'database', 'schedule', 'production'] as const;
export type SafetyGroup = typeof SAFETY_GROUPS[number];

export const GROUP_TITLES: Record<SafetyGroup, string> = {
	git: 'Git and CI',
	'staging-container': 'Staging container',
	app: 'The running app',
	database: 'Database',
	schedule: 'Schedule',
	production: 'Production sanity',
};

/** What one check found: a one-line detail (never a secret value) and, unless it passed, what to do. */
export interface CheckResult {
	status: SafetyStatus;
	detail: string;
	remedy?: string;
}

export interface SafetyCheck {
	id: string;
	group: SafetyGroup;
	title: string;
	/** Runs only when asked for (e.g. --probe-trading); otherwise reported as skipped. */
	optIn?: 'probe-trading';
	run(ctx: SafetyContext): Promise<CheckResult>;
}

/** The raw inputs the checks read; each is fetched at most once per run (see SafetyContext). */
export interface SafetyInputs {
	profile: Profile;
	now(): number;
	listContainers(signal: AbortSignal): Promise<Container[]>;
	/** A second look at one container, for "restart count not climbing". */
	restartSample(name: string, signal: AbortSignal): Promise<{restartCount: number; state: string} | undefined>;
	http(port: number, path: string, method: 'GET' | 'POST', signal: AbortSignal): Promise<HttpProbe>;
	/** Columns of one environment's database (production opened read-only); throws OpsError. */
	columns(environment: EnvironmentName, signal: AbortSignal): Promise<ColumnInfo[]>;
	/** The sync log's text (its tail), or undefined when the file does not exist. */
	syncLog(signal: AbortSignal): Promise<string | undefined>;
	/** core/sync/schedule.ts readSchedule. */
	schedule(signal: AbortSignal): Promise<ScheduleInfo>;
	/** The commit of refs/heads/<branch> on the repo's remote, or undefined when absent; throws when the remote cannot be read. */
	remoteBranch(branch: string, signal: AbortSignal): Promise<string | undefined>;
	/** The .github/workflows files of the remote's branch (what CI runs on a push to it); [] when the branch does not exist. */
	workflows(branch: string, signal: AbortSignal): Promise<{file: string; text: string}[]>;
}

export interface SafetyOptions {
	groups?: readonly SafetyGroup[];
	probeTrading?: boolean;
	/** How long to wait between the two restart-count samples (default 4000 ms). */
	restartSampleMs?: number;
}

/** Inputs memoised for one run, plus the run's options. */
export interface SafetyContext {
	profile: Profile;
	options: SafetyOptions;
	signal: AbortSignal;
	now(): number;
	containers(): Promise<Container[]>;
	container(environment: EnvironmentName): Promise<Container | undefined>;
	restartSample(name: string): Promise<{restartCount: number; state: string} | undefined>;
	http(port: number, path: string, method?: 'GET' | 'POST'): Promise<HttpProbe>;
	columns(environment: EnvironmentName): Promise<ColumnInfo[]>;
	syncLog(): Promise<string | undefined>;
	schedule(): Promise<ScheduleInfo>;
	remoteBranch(branch: string): Promise<string | undefined>;
	workflows(branch: string): Promise<{file: string; text: string}[]>;
}

export type CheckState = {status: 'pending' | 'running'} | (CheckResult & {durationMs: number});

export interface CheckReport {
	id: string;
	group: SafetyGroup;
	title: string;
	status: SafetyStatus;
	detail: string;
	remedy?: string;
	durationMs: number;
}

export interface SafetySummary {
	pass: number;
	warn: number;
	fail: number;
	skip: number;
}

export interface SafetyReport {
	checks: CheckReport[];
	summary: SafetySummary;
	startedAt: number;
	durationMs: number;
}
