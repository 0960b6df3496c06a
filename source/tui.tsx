import {render} from 'ink';
import {inspectDatabases} from './core/db/inspect.js';
import {setupStaging} from './core/setup/staging.js';
import {combinedState, connectAll, hostsLabel, listAllContainers, transportForContainer, watchAllContainerEvents} from './core/hosts.js';
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
		hostLabel: hostsLabel(session),
		readOnly: session.readOnly,
		listContainers: signal => listAllContainers(session, signal),
		watchContainers: (onChange, signal) => watchAllContainerEvents(session, onChange, signal),
		connectionState: () => combinedState(session),
		onConnectionChange(listener) {
			const offs = session.connections.map(c => c.transport.onStateChange(() => listener(combinedState(session))));
			return () => {
				for (const off of offs) off();
			};
		},
		// The header's latency: the slowest host's round trip.
		ping: async signal => Math.max(...await Promise.all(session.connections.map(c => c.transport.ping(signal)))),
		runSafety: (options, onUpdate, signal) => runSafety(sessionInputs(session), options, onUpdate, signal),
		checkUpdates: (containers, signal) => checkUpdates(environment => session.transportFor(environment), profile, containers, {signal}),
		streamLogs: (name, options, onLine, signal) => streamLogs(transportForContainer(session, name), name, onLine, {...options, signal}),
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
	process.stderr.write(`Connecting to ${hostsLabel(session)}…\n`);
	for (const warning of await connectAll(session, controller.signal)) process.stderr.write(`warning: ${warning}\n`);
	let code = 0;
	const instance = render(<App services={servicesFor(session)} onQuit={c => {
		code = c;
		controller.abort();
		instance.unmount();
	}} />, {exitOnCtrlC: false, alternateScreen: true, interactive: true} as Parameters<typeof render>[1]);
	await instance.waitUntilExit();
	return code;
}
