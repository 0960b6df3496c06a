import {bold, dim, green, red, yellow} from '../core/color.js';
import {OpsError} from '../core/errors.js';
import {runSafety, sessionInputs, summaryLine} from '../core/safety/runner.js';
import {GROUP_TITLES, SAFETY_GROUPS, type SafetyGroup, type SafetyReport, type SafetyStatus} from '../core/safety/types.js';
import type {Session} from '../core/session.js';

export interface VerifyOptions {
	json?: boolean;
	group?: string[];
	probeTrading?: boolean;
}

const ALIASES: Record<string, SafetyGroup> = {staging: 'staging-container', container: 'staging-container', db: 'database', ci: 'git', prod: 'production'};

export function parseGroups(values: readonly string[] | undefined): SafetyGroup[] {
	const out: SafetyGroup[] = [];
	for (const value of (values ?? []).flatMap(v => v.split(','))) {
		const name = value.trim().toLowerCase();
		if (!name) continue;
		const group = (SAFETY_GROUPS as readonly string[]).includes(name) ? name as SafetyGroup : ALIASES[name];
		if (!group) throw new OpsError('usage', `Unknown check group "${value}". Nothing was checked.`, {hint: `Groups: ${SAFETY_GROUPS.join(', ')}.`});
		if (!out.includes(group)) out.push(group);
	}
	return out;
}

const LABEL: Record<SafetyStatus, string> = {pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP'};
const paint = (status: SafetyStatus, text: string) => (status === 'pass' ? green(text) : status === 'warn' ? yellow(text) : status === 'fail' ? red(text) : dim(text));

export function formatReport(report: SafetyReport, host: string): string {
	const lines = [bold(`Safety checks · ${host}`)];
	for (const group of SAFETY_GROUPS) {
		const checks = report.checks.filter(c => c.group === group);
		if (checks.length === 0) continue;
		lines.push('', bold(GROUP_TITLES[group]));
		for (const c of checks) {
			lines.push(`  ${paint(c.status, LABEL[c.status])}  ${c.title} — ${c.detail}`);
			if (c.remedy && c.status !== 'pass') lines.push(`        ${dim(`→ ${c.remedy}`)}`);
		}
	}
	const s = report.summary;
	const verdict = s.fail > 0 ? red('FAILED') : s.warn > 0 ? yellow('OK with warnings') : green('OK');
	lines.push('', `${verdict}: ${summaryLine(s)} (${(report.durationMs / 1000).toFixed(1)} s)`);
	return `${lines.join('\n')}\n`;
}

/** `jutsu-ops verify`: 0 when nothing failed, 1 when a check failed; connection/config errors throw (exit 2). */
export async function verifyCommand(session: Session, options: VerifyOptions, signal: AbortSignal): Promise<number> {
	const groups = parseGroups(options.group);
	await session.transport.connect(signal);
	const report = await runSafety(sessionInputs(session), {groups, probeTrading: Boolean(options.probeTrading)}, () => undefined, signal);
	if (options.json) {
		process.stdout.write(`${JSON.stringify({
			host: session.transport.label,
			ok: report.summary.fail === 0,
			summary: report.summary,
			durationMs: report.durationMs,
			checks: report.checks,
		}, null, 2)}\n`);
	} else {
		process.stdout.write(formatReport(report, session.transport.label));
	}
	return report.summary.fail > 0 ? 1 : 0;
}
