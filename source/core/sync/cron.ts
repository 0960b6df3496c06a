/**
 * A small cron expression evaluator (Vixie-cron semantics, 5 fields, names, ranges, steps, @macros), evaluated
 * in an IANA time zone with Intl only. Used to show the next sync run and to check "2 AM America/New_York".
 */
import {zonedToEpoch} from '../time.js';

export interface CronFields {
	minutes: Set<number>;
	hours: Set<number>;
	days: Set<number>;
	months: Set<number>;
	weekdays: Set<number>;
	/** Vixie rule: when both day-of-month and day-of-week are restricted, a day matching either runs. */
	domRestricted: boolean;
	dowRestricted: boolean;
}

const MACROS: Record<string, string> = {
	'@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0',
	'@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *',
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function parseField(text: string, min: number, max: number, names?: string[], nameBase = 0): Set<number> {
	const out = new Set<number>();
	const value = (v: string): number => {
		const lower = v.toLowerCase();
		const named = names?.indexOf(lower) ?? -1;
		if (named >= 0) return named + nameBase;
		if (!/^\d+$/u.test(v)) throw new Error(`"${v}" is not a number`);
		return Number(v);
	};
	for (const part of text.split(',')) {
		const [range = '', stepText] = part.split('/');
		const step = stepText === undefined ? 1 : Number(stepText);
		if (!Number.isInteger(step) || step < 1) throw new Error(`bad step in "${part}"`);
		let lo: number;
		let hi: number;
		if (range === '*') {
			lo = min;
			hi = max;
		} else if (range.includes('-')) {
			const [a = '', b = ''] = range.split('-');
			lo = value(a);
			hi = value(b);
		} else {
			lo = value(range);
			hi = stepText === undefined ? lo : max;
		}
		if (lo < min || hi > max || lo > hi) throw new Error(`"${part}" is out of range ${min}-${max}`);
		for (let v = lo; v <= hi; v += step) out.add(v);
	}
	return out;
}

/** Parse a 5-field expression or a macro. Throws an Error naming the bad field. `@reboot` has no times. */
export function parseCron(expression: string): CronFields {
	const text = MACROS[expression.trim().toLowerCase()] ?? expression.trim();
	const fields = text.split(/\s+/u);
	if (fields.length !== 5) throw new Error(`a cron expression has 5 fields, "${expression}" has ${fields.length}`);
	const [m = '', h = '', dom = '', mon = '', dow = ''] = fields;
	const weekdays = parseField(dow, 0, 7, DAYS);
	if (weekdays.has(7)) {
		weekdays.delete(7);
		weekdays.add(0);
	}
	return {
		minutes: parseField(m, 0, 59),
		hours: parseField(h, 0, 23),
		days: parseField(dom, 1, 31),
		months: parseField(mon, 1, 12, MONTHS, 1),
		weekdays,
		domRestricted: !dom.startsWith('*'),
		dowRestricted: !dow.startsWith('*'),
	};
}

export function isValidCron(expression: string): boolean {
	try {
		parseCron(expression);
		return true;
	} catch {
		return false;
	}
}

/** Wall-clock fields of an instant in a zone. */
export function wallClock(epochMs: number, timeZone: string): {year: number; month: number; day: number; hour: number; minute: number; weekday: number} {
	const parts = new Intl.DateTimeFormat('en-US', {
		timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', weekday: 'short',
	}).formatToParts(new Date(epochMs));
	const get = (type: string) => parts.find(p => p.type === type)?.value ?? '';
	return {
		year: Number(get('year')), month: Number(get('month')), day: Number(get('day')),
		hour: Number(get('hour')), minute: Number(get('minute')),
		weekday: DAYS.indexOf(get('weekday').toLowerCase().slice(0, 3)),
	};
}

function dayMatches(f: CronFields, month: number, day: number, weekday: number): boolean {
	if (!f.months.has(month)) return false;
	const dom = f.days.has(day);
	const dow = f.weekdays.has(weekday);
	if (f.domRestricted && f.dowRestricted) return dom || dow;
	if (f.domRestricted) return dom;
	if (f.dowRestricted) return dow;
	return true;
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * The first instant strictly after `from` at which a cron daemon running in `timeZone` fires `expression`.
 * A wall time skipped by a DST jump runs at the shifted instant (as Vixie cron does); a repeated one runs once.
 * Undefined for `@reboot` or when nothing matches within 5 years (e.g. Feb 31).
 */
export function nextRunAt(expression: string, timeZone: string, from: number): number | undefined {
	if (expression.trim().toLowerCase() === '@reboot') return undefined;
	const f = parseCron(expression);
	const start = wallClock(from, timeZone);
	const hours = [...f.hours].sort((a, b) => a - b);
	const minutes = [...f.minutes].sort((a, b) => a - b);
	for (let i = 0; i < 366 * 5; i++) {
		const date = new Date(Date.UTC(start.year, start.month - 1, start.day + i));
		const y = date.getUTCFullYear();
		const mo = date.getUTCMonth() + 1;
		const d = date.getUTCDate();
		if (!dayMatches(f, mo, d, date.getUTCDay())) continue;
		for (const h of hours) {
			if (i === 0 && h < start.hour) continue;
			for (const m of minutes) {
				const at = zonedToEpoch(`${y}-${pad(mo)}-${pad(d)} ${pad(h)}:${pad(m)}:00`, timeZone);
				if (at !== undefined && at > from) return at;
			}
		}
	}
	return undefined;
}

/** The next `count` runs after `from`. */
export function nextRuns(expression: string, timeZone: string, from: number, count: number): number[] {
	const out: number[] = [];
	let at = from;
	while (out.length < count) {
		const next = nextRunAt(expression, timeZone, at);
		if (next === undefined) break;
		out.push(next);
		at = next;
	}
	return out;
}
