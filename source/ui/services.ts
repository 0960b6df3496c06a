import type {Profile} from '../core/config/schema.js';
import type {Container} from '../core/docker/containers.js';
import type {CheckState, SafetyOptions, SafetyReport} from '../core/safety/types.js';
import type {ConnectionState} from '../core/transport/types.js';

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
}
