import {render} from 'ink';
import {inspectDatabases} from './core/db/inspect.js';
import {setupStaging} from './core/setup/staging.js';
import {listContainers} from './core/docker/containers.js';
import {watchContainerEvents} from './core/docker/events.js';
import {saveLines, streamLogs} from './core/docker/logs.js';
import {checkUpdates} from './core/docker/registry.js';
import {restartContainer, updateContainer} from './core/docker/update.js';
import {runSafety, sessionInputs} from './core/safety/runner.js';
import type {Session} from './core/session.js';
import {sessionSyncServices} from './core/sync/service.js';
import {sessionPromoteServices} from './core/promote/service.js';
import {App} from './app.js';
import type {AppServices} from './ui/services.js';

export function servicesFor(session: Session): AppServices {
	const {transport, profile} = session;
	return {
		profile,
		hostLabel: transport.label,
		readOnly: session.readOnly,
		listContainers: signal => listContainers(transport, profile, signal),
		watchContainers: (onChange, signal) => watchContainerEvents(transport, onChange, signal),
		connectionState: () => transport.state,
		onConnectionChange: listener => transport.onStateChange(state => listener(state)),
		ping: signal => transport.ping(signal),
		runSafety: (options, onUpdate, signal) => runSafety(sessionInputs(session), options, onUpdate, signal),
		checkUpdates: (containers, signal) => checkUpdates(transport, profile, containers, {signal}),
		streamLogs: (name, options, onLine, signal) => streamLogs(transport, name, onLine, {...options, signal}),
		restartContainer: (name, confirm, signal) => restartContainer(session, name, {signal, confirm}),
		updateContainer: (environment, options, signal) => updateContainer(session, environment, {signal, ...options}),
		readAudit: limit => session.audit.read(limit),
		auditFile: session.audit.file,
		saveLog: (name, lines) => saveLines(logFileName(name), lines),
		sync: sessionSyncServices(session),
		promote: sessionPromoteServices(session),
		database: (options, signal) => inspectDatabases(transport, profile, {...options, signal}),
		setup: (options, listeners, signal) => setupStaging(session, {dryRun: options.dryRun, signal, ...listeners}),
	};
}

function logFileName(name: string): string {
	const stamp = new Date().toISOString().replace(/[-:]/gu, '').replace(/\..*$/u, '').replace('T', '-');
	return `${process.cwd()}/jutsu-ops-${name}-${stamp}.log`;
}

/** Connect first (so a host-key question is asked on a plain terminal), then hand the screen to Ink. */
export async function runTui(session: Session, controller: AbortController): Promise<number> {
	process.stderr.write(`Connecting to ${session.transport.label}…\n`);
	await session.transport.connect(controller.signal);
	let code = 0;
	const instance = render(<App services={servicesFor(session)} onQuit={c => {
		code = c;
		controller.abort();
		instance.unmount();
	}} />, {exitOnCtrlC: false, alternateScreen: true, interactive: true} as Parameters<typeof render>[1]);
	await instance.waitUntilExit();
	return code;
}
