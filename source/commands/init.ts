import {existsSync, readFileSync} from 'node:fs';
import {OpsError} from '../core/errors.js';
import {saveProfile} from '../core/config/load.js';
import {parseProfile} from '../core/config/load.js';
import {SEED_PROFILE, type Profile} from '../core/config/schema.js';
import {ask, canPrompt} from '../core/prompt.js';
import type {CommonOptions} from './common.js';

/** The connection fields `init` asks on a terminal before it connects and proposes the rest (discover). */
export async function askConnection(options: CommonOptions): Promise<CommonOptions> {
	let base: Profile = parseProfile(SEED_PROFILE, 'the seed defaults');
	if (options.config) {
		if (!existsSync(options.config)) throw new OpsError('config', `Cannot read ${options.config}.`, {hint: 'Nothing was written.'});
		base = parseProfile(JSON.parse(readFileSync(options.config, 'utf8')), options.config);
	}
	const field = async (label: string, value: string | number | undefined): Promise<string> => {
		const answer = await ask(`${label} [${value ?? ''}]: `);
		return answer === '' ? String(value ?? '') : answer;
	};
	process.stderr.write('How to reach the host; then jutsu-ops connects and proposes the rest from what it finds.\n');
	const host = await field('SSH host (alias from ~/.ssh/config, or address)', options.host ?? base.host.alias);
	const port = Number(await field('SSH port', options.port ?? base.host.port ?? 22));
	if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new OpsError('usage', `The SSH port must be a number from 1 to 65535. Nothing was written.`);
	const user = await field('SSH user', options.user ?? base.host.user ?? 'root');
	const identity = await field('Key file (empty: ssh-agent or ~/.ssh/id_*)', options.identity ?? base.host.identityFile);
	const staging = await field('Staging on another host? (ALIAS[:PORT], empty: the same host)', options.stagingHost ?? '');
	return {...options, host, port, user, ...(identity ? {identity} : {}), ...(staging ? {stagingHost: staging} : {})};
}

/** Interactive profile writer: each field offers the seed's value (or the --config file's), Enter keeps it. */
export async function initCommand(options: CommonOptions): Promise<number> {
	const name = options.profile ?? 'default';
	if (!/^[\w-]+$/u.test(name)) throw new OpsError('usage', `Profile names use letters, digits, _ and - only ("${name}").`);
	let base: Profile = parseProfile(SEED_PROFILE, 'the seed defaults');
	if (options.config) {
		if (!existsSync(options.config)) throw new OpsError('config', `Cannot read ${options.config}.`, {hint: 'Nothing was written.'});
		base = parseProfile(JSON.parse(readFileSync(options.config, 'utf8')), options.config);
	}
	if (!canPrompt()) {
		if (!options.config) throw new OpsError('usage', 'init needs a terminal to ask questions, or --config FILE to import.', {hint: 'Nothing was written.'});
		const path = saveProfile(name, base, process.env.JUTSU_OPS_STORE_DIR);
		process.stdout.write(`Profile "${name}" saved in ${path}.\n`);
		return 0;
	}
	const field = async (label: string, value: string | number | undefined): Promise<string> => {
		const answer = await ask(`${label} [${value ?? ''}]: `);
		return answer === '' ? String(value ?? '') : answer;
	};
	const p = structuredClone(base);
	p.host.alias = await field('SSH host (alias from ~/.ssh/config, or address)', p.host.alias);
	const port = await field('SSH port', p.host.port ?? 22);
	p.host.port = Number(port);
	p.host.user = await field('SSH user', p.host.user ?? 'root');
	const identity = await field('Key file (empty: ssh-agent or ~/.ssh/id_*)', p.host.identityFile);
	if (identity) p.host.identityFile = identity;
	const registry = await field('Registry (dockerhub, or the URL of a v2 registry)', p.registry.url ?? p.registry.kind);
	p.registry = registry === 'dockerhub' ? {kind: 'dockerhub'} : {kind: 'v2', url: registry};
	for (const env of ['production', 'staging'] as const) {
		const e = p.environments[env];
		e.container = await field(`${env} container`, e.container);
		e.image = await field(`${env} image`, e.image);
		e.tag = await field(`${env} tag`, e.tag);
		e.apiPort = Number(await field(`${env} API port`, e.apiPort));
		e.uiPort = Number(await field(`${env} dashboard port`, e.uiPort));
		e.database = await field(`${env} database`, e.database);
	}
	const path = saveProfile(name, p, process.env.JUTSU_OPS_STORE_DIR);
	process.stdout.write(`Profile "${name}" saved in ${path}. No password was stored.\n`);
	return 0;
}
