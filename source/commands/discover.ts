import {bold, dim, yellow} from '../core/color.js';
import {type Discovery, discoverProfile, type Finding} from '../core/config/discover.js';
import {parseProfile, saveProfile} from '../core/config/load.js';
import type {Profile} from '../core/config/schema.js';
import {OpsError} from '../core/errors.js';
import {ask, canPrompt} from '../core/prompt.js';
import {hostsLabel} from '../core/hosts.js';
import type {Session} from '../core/session.js';

export interface DiscoverOptions {
	name: string;
	yes: boolean;
	print: boolean;
}

function setPath(target: Record<string, any>, path: string, value: unknown): void {
	const keys = path.split('.');
	let at = target;
	for (const key of keys.slice(0, -1)) at = at[key] ??= {};
	at[keys.at(-1)!] = value;
}

/** An edited answer in the finding's own type: numbers stay numbers, lists are comma-separated. */
export function applyAnswer(profile: Profile, finding: Finding, answer: string): Profile {
	if (answer === '') return profile;
	const next = structuredClone(profile) as Record<string, any>;
	let value: unknown = answer;
	if (typeof finding.value === 'number') {
		value = Number(answer);
		if (!Number.isInteger(value)) throw new OpsError('usage', `${finding.path} must be a whole number, not "${answer}". Nothing was written.`);
	} else if (Array.isArray(finding.value)) value = answer.split(',').map(s => s.trim()).filter(Boolean);
	if (finding.path === 'registry') value = answer === 'dockerhub' ? {kind: 'dockerhub'} : {kind: 'v2', url: answer};
	if (finding.path.endsWith('.host')) {
		// alias or alias:port; user, key and known_hosts stay those of the profile's host
		const [alias, port] = answer.split(':');
		value = {...(next.environments?.staging?.host ?? {}), alias, ...(port ? {port: Number(port)} : {})};
	}
	setPath(next, finding.path, value);
	return parseProfile(next, 'your answers');
}

const show = (value: Finding['value']) => Array.isArray(value) ? value.join(', ') : String(value);

/** `jutsu-ops init --discover`: connect, propose a profile from the host, confirm or edit each field, save (or --print). */
export async function discoverCommand(session: Session, options: DiscoverOptions, signal: AbortSignal): Promise<number> {
	if (!/^[\w-]+$/u.test(options.name)) throw new OpsError('usage', `Profile names use letters, digits, _ and - only ("${options.name}"). Nothing was written.`);
	const interactive = canPrompt() && !options.yes && !options.print;
	if (!interactive && !options.yes && !options.print) {
		throw new OpsError('usage', 'init --discover needs a terminal to confirm each field, or --yes to accept the proposal, or --print to only show it.', {hint: 'Nothing was written.'});
	}
	await session.transport.connect(signal);
	const discovery: Discovery = await discoverProfile(session.transport, session.profile, signal, session.transportFor('staging'));
	let profile = discovery.profile;
	const err = (line: string) => process.stderr.write(`${line}\n`);
	if (!options.print || interactive) {
		err(bold(`Found on ${hostsLabel(session)}:`));
		for (const f of discovery.findings) err(`  ${f.path.padEnd(32)} ${show(f.value).padEnd(36)} ${dim(f.source)}`);
		for (const m of discovery.missing) err(yellow(`  not found: ${m} (the seed's value stays)`));
	}
	if (interactive) {
		err(dim('Enter keeps the proposed value; type another to change it.'));
		for (const f of discovery.findings) {
			const answer = await ask(`${f.path} [${show(f.value)}]: `);
			profile = applyAnswer(profile, f, answer);
		}
	}
	if (options.print) {
		process.stdout.write(`${JSON.stringify(profile, null, 2)}\n`);
		return 0;
	}
	const path = saveProfile(options.name, profile, process.env.JUTSU_OPS_STORE_DIR);
	process.stdout.write(`Profile "${options.name}" saved in ${path}. No password was stored.\n`);
	return 0;
}
