import {render} from 'ink-testing-library';
import {describe, expect, it, vi} from 'vitest';
import {App} from '../../source/app.js';
import {OpsError} from '../../source/core/errors.js';
import {CONTAINERS, fakeServices, tick} from '../support/fixtures.js';

const A = 'root@tower-a:2222';
const B = 'root@tower-b:2223';
const ON_TWO_HOSTS = CONTAINERS.map(c => ({...c, host: c.environment === 'staging' ? B : A}));

/** What listAllContainers throws when one host of two does not answer (core/hosts.ts PartialListError). */
function partial() {
	const error = new OpsError('connection', `${B} (staging) did not answer: No SSH answer from ${B} within 2 s.`, {hint: 'The containers of the other host are shown; nothing was changed.'});
	return Object.assign(error, {containers: ON_TWO_HOSTS.filter(c => c.host === A), unreachable: ['staging']});
}

async function mount(screen: 'containers' | 'dashboard', overrides = {}) {
	const services = fakeServices({hostLabel: `${A} + ${B} (staging)`, ...overrides});
	const view = render(<App services={services} onQuit={vi.fn()} initialScreen={screen} />);
	for (let i = 0; i < 50 && !/jutsu-labs/u.test(view.lastFrame() ?? ''); i++) await tick(20);
	await tick(50);
	return view;
}

describe('production and staging on two hosts', () => {
	it('the Containers screen shows the host of each container, and the header both hosts', async () => {
		const {lastFrame, unmount} = await mount('containers', {listContainers: async () => ON_TWO_HOSTS});
		const frame = lastFrame()!;
		expect(frame).toContain('HOST');
		expect(frame).toMatch(/jutsu-labs\s+production\s+root@tower-a:2222/u);
		expect(frame).toMatch(/jutsu-labs-staging\s+staging\s+root@tower-b:2223/u);
		expect(frame).toContain(`${A} + ${B} (staging)`);
		unmount();
	});

	it('the Dashboard has a host row, production on one host and staging on the other', async () => {
		const {lastFrame, unmount} = await mount('dashboard', {listContainers: async () => ON_TWO_HOSTS});
		expect(lastFrame()!).toMatch(/host\s+root@tower-a:2222\s+root@tower-b:2223/u);
		unmount();
	});

	it('with the staging host down, production stays on screen beside the reason', async () => {
		const {lastFrame, unmount} = await mount('dashboard', {listContainers: async () => Promise.reject(partial())});
		const frame = lastFrame()!;
		expect(frame).toContain(`${B} (staging) did not answer`);
		expect(frame).toMatch(/container\s+jutsu-labs\s+host unreachable/u);
		expect(frame).toMatch(/health\s+healthy/u);
		unmount();
	});

	it('one host only: no HOST column and no host row', async () => {
		const containers = await mount('containers');
		expect(containers.lastFrame()!).not.toContain('HOST');
		containers.unmount();
		const dashboard = await mount('dashboard');
		expect(dashboard.lastFrame()!).not.toMatch(/^\s*host\s/mu);
		dashboard.unmount();
	});
});
