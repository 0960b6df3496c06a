import {execFileSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import {execa} from 'execa';

/** Helpers for end-to-end tests against the lab (test/lab/up.sh has run in the global setup). */

export const LAB_DIR = process.env.JUTSU_LAB_DIR ?? '/tmp/jutsu-lab';
export const ROOT = resolve(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'cli.js');

function parseEnvFile(file: string): Record<string, string> {
	const out: Record<string, string> = {};
	if (!existsSync(file)) return out;
	for (const line of readFileSync(file, 'utf8').split('\n')) {
		const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/u.exec(line.trim());
		if (m) out[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/u, '$2');
	}
	return out;
}

export function labEnv(): Record<string, string> {
	return parseEnvFile(join(LAB_DIR, 'lab.env'));
}

/** Every secret value the lab holds: no output, frame or file the tool writes may contain one. */
export function labSecrets(): string[] {
	return Object.values(parseEnvFile(join(LAB_DIR, 'secrets.env'))).filter(v => v.length >= 6);
}

export function labProfilePath(): string {
	return join(LAB_DIR, 'profile.json');
}

export function labProfile(): Record<string, any> {
	return JSON.parse(readFileSync(labProfilePath(), 'utf8'));
}

/** A modified copy of the lab profile in a temp file. */
export function tempProfile(mutate: (profile: Record<string, any>) => void): string {
	const profile = labProfile();
	mutate(profile);
	const file = join(mkdtempSync(join(tmpdir(), 'jutsu-profile-')), 'profile.json');
	writeFileSync(file, JSON.stringify(profile, null, 2));
	return file;
}

export interface CliResult {
	stdout: string;
	stderr: string;
	exitCode: number | undefined;
	durationMs: number;
}

/** Run the built binary (dist/cli.js) with the lab profile unless --config is given; never a TTY. */
export async function cli(args: string[], options: {env?: Record<string, string>; input?: string; timeoutMs?: number; config?: string | false} = {}): Promise<CliResult> {
	const withConfig = options.config === false || args.includes('--config') ? args : [...args, '--config', options.config ?? labProfilePath()];
	const started = Date.now();
	const result = await execa(process.execPath, [CLI, ...withConfig], {
		reject: false,
		timeout: options.timeoutMs ?? 120_000,
		...(options.input === undefined ? {stdin: 'ignore' as const} : {input: options.input}),
		env: {
			NO_COLOR: '1',
			JUTSU_OPS_AUDIT_FILE: join(LAB_DIR, 'e2e-audit.jsonl'),
			JUTSU_OPS_STORE_DIR: join(LAB_DIR, 'e2e-store'),
			...options.env,
		},
	});
	return {stdout: String(result.stdout), stderr: String(result.stderr), exitCode: result.exitCode, durationMs: Date.now() - started};
}

/** Run a shell command on the lab host (this machine, as root) — for setting up faults, never for the tool's work. */
export function onHost(command: string): string {
	return execFileSync('bash', ['-c', command], {encoding: 'utf8'});
}

export function expectNoSecrets(text: string): void {
	for (const secret of labSecrets()) {
		if (text.includes(secret)) throw new Error(`a lab secret value (length ${secret.length}) appeared in output`);
	}
}
