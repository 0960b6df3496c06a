/** Time-zone arithmetic with Intl only (no dependency): wall-clock time in a zone <-> an instant. */

function offsetMs(instant: number, timeZone: string): number {
	const parts = new Intl.DateTimeFormat('en-US', {
		timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
	}).formatToParts(new Date(instant));
	const get = (type: string) => Number(parts.find(p => p.type === type)?.value);
	const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
	return asUtc - Math.floor(instant / 1000) * 1000;
}

/** `YYYY-MM-DD HH:MM:SS` read as wall-clock time in `timeZone`, to epoch ms. */
export function zonedToEpoch(text: string, timeZone: string): number | undefined {
	const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/u.exec(text.trim());
	if (!m) return undefined;
	const guess = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
	let instant = guess - offsetMs(guess, timeZone);
	instant = guess - offsetMs(instant, timeZone);
	return instant;
}

/** Format an instant as `YYYY-MM-DD HH:MM TZ` in a zone. */
export function formatInZone(epochMs: number, timeZone: string): string {
	const text = new Intl.DateTimeFormat('en-CA', {
		timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', timeZoneName: 'short',
	}).format(new Date(epochMs));
	return text.replace(',', '');
}

/** Wait `ms`, or less when the signal aborts (it resolves either way: the caller looks at the signal). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise<void>(resolve => {
		const timer = setTimeout(resolve, ms);
		signal?.addEventListener('abort', () => {
			clearTimeout(timer);
			resolve();
		}, {once: true});
	});
}
