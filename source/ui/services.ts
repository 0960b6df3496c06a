import type {DatabaseReport} from '../core/db/inspect.js';
import type {SetupReport, StepReport} from '../core/setup/staging.js';
import type {AuditEntry} from '../core/audit/audit.js';
import type {EnvironmentName, Profile} from '../core/config/schema.js';
import type {Container} from '../core/docker/containers.js';
import type {LogOptions} from '../core/docker/logs.js';
import type {UpdateState} from '../core/docker/registry.js';
import type {RestartResult, UpdateProgress, UpdateResult} from '../core/docker/update.js';
import type {CheckState, SafetyOptions, SafetyReport} from '../core/safety/types.js';
import type {ConnectionState} from '../core/transport/types.js';
import type {SyncServices} from '../core/sync/service.js';
import type {PromoteServices} from '../core/promote/service.js';

/**
 * What the UI may ask of the world. Built from a core Session in tui.tsx; tests pass fakes.
 * Components never see a transport: only these functions, through hooks.
 */
export interface AppServices {
	profile: Profile;
	hostLabel: string;
	readOnly: boolean;
	listContainers(signal: AbortSignal): Promise<Container[]>;
	/** Calls onChange when containers change; resolves when the signal aborts. */
	watchContainers(onChange: () => void, signal: AbortSignal): Promise<void>;
	connectionState(): ConnectionState;
	onConnectionChange(listener: (state: ConnectionState) => void): () => void;
	ping(signal: AbortSignal): Promise<number>;
	/** Run the safety checks (core/safety); onUpdate sees each check start and finish. */
	runSafety(options: SafetyOptions, onUpdate: (id: string, state: CheckState) => void, signal: AbortSignal): Promise<SafetyReport>;
	// Containers in depth: registry update states, live logs, restart/update, audit
	/** Registry digest vs running image for production and staging; never throws (unknown has a reason). */
	checkUpdates(containers: Container[], signal: AbortSignal): Promise<Record<EnvironmentName, UpdateState>>;
	/** Follow a container's log; onLine gets sanitised lines; resolves when the stream ends or the signal aborts. */
	streamLogs(name: string, options: LogOptions, onLine: (line: string, stderr: boolean) => void, signal: AbortSignal): Promise<void>;
	/** `confirm` must be the container's name for production. */
	restartContainer(name: string, confirm: string | undefined, signal: AbortSignal): Promise<RestartResult>;
	updateContainer(environment: EnvironmentName, options: {confirm?: string | undefined; onProgress?: (progress: UpdateProgress) => void}, signal: AbortSignal): Promise<UpdateResult>;
	/** The last `limit` audit entries, oldest first. */
	readAudit(limit: number): AuditEntry[];
	auditFile?: string | undefined;
	/** Write log lines to a file in the current directory; returns its path. */
	saveLog(name: string, lines: string[]): Promise<string>;
	/** Production-to-staging sync: run live, attach, preflight, verify, history, schedule (core/sync). */
	sync: SyncServices;
	/** Promotion feature -> staging -> main (core/promote). */
	promote: PromoteServices;
	/** Production and staging databases side by side, read-only (core/db/inspect). */
	database(options: {exact: boolean}, signal: AbortSignal): Promise<DatabaseReport>;
	/** Set up staging from production (core/setup): dry run or real; each step reported as it ends. */
	setup(options: {dryRun: boolean}, listeners: {onStep?: (step: StepReport) => void; onProgress?: (message: string) => void; confirm?: (step: StepReport) => Promise<boolean>}, signal: AbortSignal): Promise<SetupReport>;
}
