import {hostname, userInfo} from 'node:os';

/** The local user name, or "unknown" when the system has no passwd entry for this process. */
export function userName(): string {
	try {
		return userInfo().username;
	} catch {
		return 'unknown';
	}
}

/** `user@machine`: who holds a lock, a lease or a promotion, as shown to the next operator. */
export function whoAmI(): string {
	return `${userName()}@${hostname()}`;
}
