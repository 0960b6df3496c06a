import {createContext, useContext} from 'react';

/** The one piece of safety state the whole app shares: did the last run of the checks have a failure? */
export interface SafetyBadgeState {
	/** undefined until the checks have run in this session */
	failed: boolean | undefined;
	setFailed(failed: boolean): void;
}

export const SafetyBadgeContext = createContext<SafetyBadgeState>({failed: undefined, setFailed: () => undefined});

export function useSafetyBadge(): SafetyBadgeState {
	return useContext(SafetyBadgeContext);
}
