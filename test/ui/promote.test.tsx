import {render} from 'ink-testing-library';
import {describe, expect, it, vi} from 'vitest';
import {App} from '../../source/app.js';
import {helpLines} from '../../source/ui/keymap.js';
import {fakeServices, tick} from '../support/fixtures.js';
import {fakePromoteServices} from '../support/promote-fakes.js';

const ESC = '\u001B';
const TAB = '\t';

async function mount(options: {readOnly?: boolean; setup?: (p: ReturnType<typeof fakePromoteServices>) => void} = {}) {
	const promote = fakePromoteServices();
	options.setup?.(promote);
	const services = fakeServices({promote, readOnly: options.readOnly ?? false});
	const view = render(<App services={services} onQuit={vi.fn()} initialScreen="promote" />);
	// the first frame with the branch list and its preview (the header's safety checks run beside it)
	await until(() => /would land|no feature branches|read-only/u.test(view.lastFrame() ?? ''), 3000);
	await tick(40);
	return {...view, promote};
}

async function until(check: () => boolean, ms = 2000) {
	const end = Date.now() + ms;
	while (!check() && Date.now() < end) await tick(20);
}

describe('Promote screen', () => {
	it('lists feature branches with ahead/behind and the last commit, and previews the commits and diffstat that would land', async () => {
		const {lastFrame, stdin, unmount} = await mount();
		let frame = lastFrame()!;
		expect(frame).toContain('6 Promote');
		expect(frame).toMatch(/feature\/risk-limits\s+\+2\/-0 LR aaaaaaa Cap position size at 5%/u);
		expect(frame).toMatch(/feature\/new-chart\s+\+1\/-3  R bbbbbbb Equity curve chart/u);
		expect(frame).toContain('2 commit(s) of feature/risk-limits would land in origin/staging');
		expect(frame).toContain('1111111 Cap position size at 5%');
		expect(frame).toContain('1 file changed, 10 insertions(+), 2 deletions(-)');
		stdin.write('j');
		await tick(60);
		frame = lastFrame()!;
		expect(frame).toContain('1 commit(s) of feature/new-chart would land');
		expect(frame).toContain('40 insertions(+)');
		unmount();
	});

	it('Enter runs the staging pipeline: every step shown, each ending with ✓ and its detail', async () => {
		const {lastFrame, stdin, promote, unmount} = await mount();
		stdin.write('\r');
		await until(() => lastFrame()!.includes('Promotion done'));
		const frame = lastFrame()!;
		expect(promote.calls).toContain('run feature/risk-limits staging');
		expect(frame).toContain('Promotion done: feature/risk-limits is in staging.');
		for (const title of ['Preflight', 'Merge into staging', 'Wait for CI', 'Update jutsu-labs-staging', 'Verify staging']) expect(frame).toContain(title);
		expect(frame.match(/✓/gu)?.length).toBe(5);
		expect(frame).toContain('verify-staging ok');
		expect(frame).not.toContain('Gate');
		expect(frame).toContain('STAGING · jutsu-labs-staging');
		unmount();
	});

	it('shows a spinner, the step\'s progress and elapsed time while a step runs', async () => {
		const {lastFrame, stdin, unmount} = await mount({setup: p => {
			p.stepMs = 1500;
		}});
		stdin.write('\r');
		await tick(150);
		const frame = lastFrame()!;
		expect(frame).toContain('working on preflight');
		expect(frame).toMatch(/1\. Preflight.*\d+s/u);
		unmount();
	});

	it('P goes through the production gate only after the production container\'s name is typed', async () => {
		const {lastFrame, stdin, promote, unmount} = await mount();
		stdin.write('P');
		await until(() => lastFrame()!.includes('Release to PRODUCTION'));
		await tick(300);
		let frame = lastFrame()!;
		expect(frame).toContain('Release to PRODUCTION (jutsu-labs)');
		expect(frame).toContain("Merge branch 'feature/risk-limits' into staging");
		expect(promote.calls).not.toContain('done merge-main');
		// Cancel starts focused; the button does nothing until the name is typed.
		stdin.write(TAB);
		await tick();
		stdin.write('\r');
		await tick(60);
		expect(promote.calls).not.toContain('gate confirmed');
		expect(lastFrame()).toContain('Release to PRODUCTION');
		stdin.write('jutsu-labs');
		await until(() => lastFrame()!.includes('confirm: jutsu-labs'));
		stdin.write('\r');
		await until(() => lastFrame()!.includes('Promotion done'));
		frame = lastFrame()!;
		expect(promote.calls).toContain('gate confirmed');
		expect(promote.calls.indexOf('gate confirmed')).toBeLessThan(promote.calls.indexOf('done update-production'));
		expect(frame).toContain('Promotion done: feature/risk-limits is in production.');
		expect(frame).toContain('PRODUCTION · jutsu-labs');
		expect(frame.match(/✓/gu)?.length).toBe(10);
		unmount();
	});

	it('Esc at the gate declines: production is not touched and the promotion shows as aborted', async () => {
		const {lastFrame, stdin, promote, unmount} = await mount();
		stdin.write('P');
		await until(() => lastFrame()!.includes('Release to PRODUCTION'));
		stdin.write(ESC);
		await until(() => lastFrame()!.includes('Promotion aborted'));
		expect(promote.calls).toContain('gate declined');
		expect(promote.calls).not.toContain('done merge-main');
		expect(lastFrame()).toContain('The production gate was not confirmed');
		unmount();
	});

	it('a failed verification shows the reason and offers the rollback with b', async () => {
		const {lastFrame, stdin, promote, unmount} = await mount({setup: p => {
			p.failAt = {step: 'verify-staging', lines: ['jutsu-labs-staging serves revision 0123456789ab, not the promoted cccccccccccc.', 'Roll back to the previous image: jutsu-ops promote --rollback (Promote screen: b).']};
		}});
		stdin.write('\r');
		await until(() => lastFrame()!.includes('Promotion failed'));
		let frame = lastFrame()!;
		expect(frame).toContain('✗');
		expect(frame).toContain('serves revision 0123456789ab, not the promoted');
		expect(frame).toContain('b roll staging back to its previous image');
		stdin.write('b');
		await until(() => lastFrame()!.includes('back on the image'));
		frame = lastFrame()!;
		expect(promote.calls).toContain('rollback production=false');
		expect(frame).toContain('jutsu-labs-staging is back on the image it ran before the promotion.');
		stdin.write(ESC);
		await tick(80);
		expect(lastFrame()).toContain('feature/risk-limits');
		unmount();
	});

	it('d shows the dry run\'s commands per step and runs nothing', async () => {
		const {lastFrame, stdin, promote, unmount} = await mount();
		stdin.write('d');
		await until(() => lastFrame()!.includes('Dry run'));
		const frame = lastFrame()!;
		expect(frame).toContain('Dry run: feature/risk-limits → staging (nothing is run)');
		expect(frame).toContain('$ cmd for merge-staging');
		expect(promote.calls.some(c => c.startsWith('run '))).toBe(false);
		unmount();
	});

	it('--read-only removes promoting and rollback: Enter and P do nothing and help does not offer them', async () => {
		const {lastFrame, stdin, promote, unmount} = await mount({readOnly: true});
		stdin.write('\r');
		stdin.write('P');
		await tick(100);
		expect(promote.calls.some(c => c.startsWith('run '))).toBe(false);
		expect(lastFrame()).not.toContain('Enter promote to staging');
		const help = helpLines(true).map(l => l.description).join('\n');
		expect(help).not.toContain('promote the branch to staging');
		expect(help).toContain('dry run to staging');
		unmount();
	});
});
