import process from 'node:process';
import {canPrompt} from './core/prompt.js';
import {Command, CommanderError} from 'commander';
import {addCommonOptions, applyColor, type CommonOptions, sessionFrom} from './commands/common.js';
import {statusCommand} from './commands/status.js';
import {loadStoreModule} from './core/config/load.js';
import {describeError, isOpsError} from './core/errors.js';
import type {Session} from './core/session.js';

const controller = new AbortController();
let activeSession: Session | undefined;
let interrupted = false;

process.on('SIGINT', () => {
	// Plain mode: stop remote work cleanly, then exit 130. (The TUI handles Ctrl-C itself.)
	interrupted = true;
	controller.abort();
	setTimeout(() => process.exit(130), 2000).unref();
});

/** Exit only after stdout and stderr have drained: a pipe would otherwise lose the end of long output. */
async function exitAfterFlush(code: number): Promise<void> {
	await Promise.all([process.stdout, process.stderr].map(stream => new Promise<void>(resolve => {
		if (!stream.writableLength) {
			resolve();
			return;
		}
		stream.write('', () => resolve());
	})));
	process.exit(code);
}

async function run(options: CommonOptions, body: (session: Session) => Promise<number>): Promise<void> {
	applyColor(options);
	let code: number;
	try {
		if (!options.config) await loadStoreModule();
		activeSession = sessionFrom(options);
		code = await body(activeSession);
	} catch (error) {
		if (interrupted) code = 130;
		else {
			for (const line of describeError(error)) process.stderr.write(`jutsu-ops: ${line}\n`);
			if (process.env.JUTSU_OPS_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
			code = isOpsError(error) ? error.exitCode : 1;
		}
	}
	await activeSession?.close().catch(() => undefined);
	await exitAfterFlush(interrupted ? 130 : code);
}

const program = new Command('jutsu-ops')
	.description('Keyboard-driven console for the jutsu-labs production and staging containers on one Unraid host')
	.version('0.1.0')
	.enablePositionalOptions()
	.exitOverride()
	.configureOutput({outputError: (text, write) => write(`jutsu-ops: ${text.replace(/^error: /u, '')}`)});

addCommonOptions(program)
	.option('--json', 'print status as JSON instead of opening the console')
	.action(async (options: CommonOptions) => {
		const plain = options.json || !process.stdout.isTTY || !process.stdin.isTTY;
		await run(options, async session => {
			if (plain) return statusCommand(session, Boolean(options.json), controller.signal);
			const {runTui} = await import('./tui.js');
			return runTui(session, controller);
		});
	});

addCommonOptions(program.command('status').description('list the containers (plain text, or JSON with --json)'))
	.option('--json', 'JSON output')
	.action(async (options: CommonOptions) => {
		await run(options, session => statusCommand(session, Boolean(options.json), controller.signal));
	});

addCommonOptions(program.command('verify').description('run the safety checks (staging cannot touch live trading or production data); exit 1 when one fails'))
	.option('--json', 'JSON output')
	.option('--group <group...>', 'only these groups: git, staging-container, app, database, schedule, production')
	.option('--probe-trading', 'also ask staging to start live trading (it must refuse); never by default')
	.action(async (options: CommonOptions & {group?: string[]; probeTrading?: boolean}) => {
		const {verifyCommand} = await import('./commands/verify.js');
		await run(options, session => verifyCommand(session, {json: Boolean(options.json), group: options.group, probeTrading: Boolean(options.probeTrading)}, controller.signal));
	});

addCommonOptions(program.command('db').description('production and staging databases side by side: rows, sizes, sync coverage, last sync, schema differences (read-only); exit 1 when staging lacks part of production\'s schema'))
	.option('--json', 'JSON output')
	.option('--exact', 'count every row (and checksum) instead of the planner\'s estimates')
	.action(async (options: CommonOptions & {exact?: boolean}) => {
		const {dbCommand} = await import('./commands/db.js');
		await run(options, session => dbCommand(session, {json: Boolean(options.json), exact: Boolean(options.exact)}, controller.signal));
	});

addCommonOptions(program.command('setup').description('set up staging from production, step by step (branch, CI, database, container, sync, safety checks); each step previewed, skipped when done, audited')
	.argument('<target>', 'staging'))
	.option('--dry-run', 'show each step and what it would run; change nothing')
	.option('--yes', 'run every step without asking')
	.option('--ci-timeout <seconds>', 'how long to wait for CI to push the staging image (default 600)', value => Number(value))
	.option('--json', 'print the report as JSON')
	.action(async (target: string, options: CommonOptions & {dryRun?: boolean; yes?: boolean; ciTimeout?: number}) => {
		const {setupCommand} = await import('./commands/setup.js');
		await run(options, session => setupCommand(session, target, {dryRun: Boolean(options.dryRun), yes: Boolean(options.yes), json: Boolean(options.json), ...(options.ciTimeout ? {ciTimeoutSeconds: options.ciTimeout} : {})}, controller.signal));
	});

addCommonOptions(program.command('sync').description('production-to-staging sync: run|reattach|attach|verify|history|preflight|schedule|install-safe-script; exit 1 when the run or a check fails, 2 when it could not run')
	.argument('<action>', 'run | reattach | attach | verify | history | preflight | schedule | install-safe-script'))
	.option('--json', 'JSON output')
	.option('--no-preflight', 'run: skip the checklist (it refuses the run when a check fails)')
	.option('--limit <n>', 'history: how many runs', value => Number(value))
	.option('--yes', 'install-safe-script: write it (without --yes only the diff is shown)')
	.option('--schedule', 'install-safe-script: also install or repair the 2 AM schedule')
	.action(async (action: string, options: CommonOptions & {preflight?: boolean; limit?: number; yes?: boolean; schedule?: boolean}) => {
		const {syncCommand} = await import('./commands/sync.js');
		await run(options, session => syncCommand(session, action, {
			json: Boolean(options.json),
			...(options.preflight === false ? {preflight: false} : {}),
			...(options.limit ? {limit: options.limit} : {}),
			yes: Boolean(options.yes), schedule: Boolean(options.schedule),
		}, controller.signal));
	});

addCommonOptions(program.command('promote').description('promote a feature branch: merge into staging, wait for CI, update, verify; --to production continues through the gate to main and production')
	.argument('[branch]', 'the feature branch (jutsu-ops promote --list shows them)'))
	.option('--to <target>', 'staging | production')
	.option('--dry-run', 'show every command each step would run; run nothing')
	.option('--yes-i-know', 'needed for --to production (and a production --rollback): passes the production gate')
	.option('--list', 'list the feature branches with ahead/behind against staging')
	.option('--abort', 'give up the unfinished promotion (releases its lock; changes nothing else)')
	.option('--rollback', 'put the environment whose verification failed back on its previous image')
	.option('--ci-timeout <seconds>', 'how long to wait for CI to push each image (default 1200)', value => Number(value))
	.option('--health-timeout <seconds>', 'how long an updated container has to become healthy (default 90)', value => Number(value))
	.option('--json', 'JSON output for --list and --dry-run')
	.action(async (branch: string | undefined, options: CommonOptions & {to?: string; dryRun?: boolean; yesIKnow?: boolean; list?: boolean; abort?: boolean; rollback?: boolean; ciTimeout?: number; healthTimeout?: number}) => {
		const {promoteCommand} = await import('./commands/promote.js');
		await run(options, session => promoteCommand(session, branch, options, controller.signal));
	});

addCommonOptions(program.command('logs').description('print a container\'s log (production, staging or a container name); -f follows until Ctrl-C')
	.argument('<target>', 'production, staging or a container name'))
	.option('-f, --follow', 'keep following new lines')
	.option('-n, --tail <lines>', 'lines from the end to start with', '200')
	.option('--no-timestamps', 'without docker\'s timestamps')
	.action(async (target: string, options: CommonOptions & {follow?: boolean; tail: string; timestamps: boolean}) => {
		const tail = Number(options.tail);
		if (!Number.isInteger(tail) || tail < 0) {
			process.stderr.write(`jutsu-ops: --tail must be a whole number, not "${options.tail}"\n`);
			process.exit(2);
		}
		const {logsCommand} = await import('./commands/containers.js');
		await run(options, session => logsCommand(session, target, {follow: Boolean(options.follow), tail, timestamps: options.timestamps}, controller.signal));
	});

addCommonOptions(program.command('update').description('pull the environment\'s tag and recreate its container, rolling back if it is not healthy; exit 1 when rolled back')
	.argument('<env>', 'production or staging'))
	.option('--confirm <container>', 'required for production: the production container\'s name')
	.option('--health-timeout <seconds>', 'how long the new container has to answer its health endpoint', '90')
	.option('--json', 'print the result as JSON')
	.action(async (target: string, options: CommonOptions & {confirm?: string; healthTimeout: string}) => {
		const healthTimeout = Number(options.healthTimeout);
		if (!Number.isFinite(healthTimeout) || healthTimeout <= 0) {
			process.stderr.write(`jutsu-ops: --health-timeout must be a positive number of seconds, not "${options.healthTimeout}"\n`);
			process.exit(2);
		}
		const {updateCommand} = await import('./commands/containers.js');
		await run(options, session => updateCommand(session, target, {confirm: options.confirm, healthTimeout, json: Boolean(options.json)}, controller.signal));
	});

addCommonOptions(program.command('restart').description('restart a container (production, staging or a name); production needs --confirm <name>')
	.argument('<target>', 'production, staging or a container name'))
	.option('--confirm <container>', 'required for production: the production container\'s name')
	.action(async (target: string, options: CommonOptions & {confirm?: string}) => {
		const {restartCommand} = await import('./commands/containers.js');
		await run(options, session => restartCommand(session, target, {confirm: options.confirm}, controller.signal));
	});

addCommonOptions(program.command('trust').description('connect once and, after you confirm its fingerprint, record the host key'))
	.action(async (options: CommonOptions) => {
		await run(options, async session => {
			// Every host of the profile, one after the other (each asks its own question).
			for (const {transport} of session.connections) {
				await transport.connect(controller.signal);
				process.stdout.write(`Host key of ${transport.label} is trusted.\n`);
			}
			return 0;
		});
	});

addCommonOptions(program.command('init').description('write a profile: on a terminal it asks how to reach the host, connects and proposes the rest from what the host runs (each field confirmed or edited); --manual asks every field without connecting'))
	.option('--discover', 'connect (--host/--port/--user/--identity, or --config) without asking how and propose the profile from the containers, PostgreSQL, sync script and schedule found')
	.option('--manual', 'ask every field (seed defaults offered) without connecting')
	.option('--yes', '--discover: accept the proposal without asking')
	.option('--print', '--discover: print the proposed profile as JSON; save nothing')
	.option('--staging-host <alias[:port]>', '--discover: staging runs on this other host (same user, key and known_hosts); look for it there')
	.action(async (options: CommonOptions & {discover?: boolean; yes?: boolean; print?: boolean; manual?: boolean}) => {
		if (!options.discover && !options.manual && canPrompt()) {
			// the flow: connect and propose; the connection fields are the only ones typed by hand
			const {askConnection} = await import('./commands/init.js');
			try {
				options = {...await askConnection(options), discover: true};
			} catch (error) {
				for (const line of describeError(error)) process.stderr.write(`jutsu-ops: ${line}\n`);
				await exitAfterFlush(isOpsError(error) ? error.exitCode : 1);
			}
		}
		if (options.discover) {
			const {discoverCommand} = await import('./commands/discover.js');
			const {profile: name, ...connection} = options;
			await run(connection, session => discoverCommand(session, {name: name ?? 'default', yes: Boolean(options.yes), print: Boolean(options.print)}, controller.signal));
		}
		const {initCommand} = await import('./commands/init.js');
		applyColor(options);
		try {
			await loadStoreModule();
			await exitAfterFlush(await initCommand(options));
		} catch (error) {
			for (const line of describeError(error)) process.stderr.write(`jutsu-ops: ${line}\n`);
			await exitAfterFlush(isOpsError(error) ? error.exitCode : 1);
		}
	});

try {
	await program.parseAsync(process.argv);
} catch (error) {
	if (error instanceof CommanderError) {
		const ok = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
		await exitAfterFlush(ok ? 0 : 2);
	}
	for (const line of describeError(error)) process.stderr.write(`jutsu-ops: ${line}\n`);
	await exitAfterFlush(1);
}
