import {Box, Text, useInput} from 'ink';
import Spinner from 'ink-spinner';
import {useEffect} from 'react';
import type {StepReport} from '../../core/setup/staging.js';
import {useSetup} from '../hooks/useSetup.js';
import {actionFor} from '../input.js';
import type {ScreenProps} from './types.js';

const LABEL: Record<StepReport['outcome'], string> = {'done-before': 'done', ran: 'ran', 'would-run': 'to do', failed: 'FAILED', 'not-reached': 'not reached', declined: 'declined'};
const COLOR: Record<StepReport['outcome'], string> = {'done-before': 'green', ran: 'green', 'would-run': 'yellow', failed: 'red', 'not-reached': 'gray', declined: 'gray'};

/** Set up staging from production: the steps with what each would run (a dry run on open), then run them all. */
export function SetupScreen({services, active, width, onFocus, onTyping}: ScreenProps) {
	const setup = useSetup(services);
	const asking = setup.pending !== undefined;

	useEffect(() => {
		onFocus({environment: 'staging', name: services.profile.environments.staging.container});
	}, [onFocus, services]);
	useEffect(() => {
		onTyping(asking);
	}, [asking, onTyping]);

	useInput((input, key) => {
		// one step at a time: y runs the step shown, any other key stops the run before it (nothing more changes)
		if (asking) {
			setup.answer(input === 'y');
			return;
		}
		switch (actionFor(input, key, ['setup', 'global'], services.readOnly)) {
			case 'dry-run':
			case 'refresh': setup.start(true); break;
			case 'run': if (!setup.running) setup.start(false); break;
			default: break;
		}
	}, {isActive: active});

	const todo = setup.steps.filter(s => s.outcome === 'would-run').length;
	const safety = setup.report?.safety;
	return (
		<Box flexDirection="column" width={width}>
			<Text bold>
				{setup.running ? <Text color="cyan"><Spinner type="dots" /> {setup.running === 'dry-run' ? 'inspecting (dry run: nothing changes)…' : 'setting up staging…'} </Text> : null}
				{!setup.running && setup.report ? (setup.report.dryRun
					? <Text color={todo ? 'yellow' : 'green'}>{todo ? `${todo} step(s) to do` : 'staging is set up: every step is done'} (dry run: nothing was changed)</Text>
					: <Text color={setup.report.ok ? 'green' : 'red'}>{setup.report.ok ? 'staging is set up' : 'setup stopped: run it again to continue from the failed step'}</Text>) : null}
			</Text>
			{setup.steps.map((s, i) => (
				<Box key={s.id} flexDirection="column">
					<Text wrap="truncate"><Text color={COLOR[s.outcome]}>{LABEL[s.outcome].padEnd(12)}</Text><Text bold>{i + 1}. {s.title}</Text>{s.durationMs === undefined ? '' : <Text dimColor> {(s.durationMs / 1000).toFixed(1)} s</Text>}</Text>
					<Text wrap="wrap" dimColor={s.outcome !== 'failed'} color={s.outcome === 'failed' ? 'red' : undefined}>{'            '}{s.detail}</Text>
					{s.outcome === 'would-run' ? s.preview.map(line => <Text key={line} wrap="wrap" dimColor>{'            $ '}{line}</Text>) : null}
				</Box>
			))}
			{setup.progress ? <Text color="cyan">… {setup.progress}</Text> : null}
			{safety ? <Text color={safety.summary.fail ? 'red' : 'green'}>Safety: {safety.summary.pass} pass, {safety.summary.warn} warn, {safety.summary.fail} fail, {safety.summary.skip} skip</Text> : null}
			{setup.error ? <Text color="red" wrap="wrap">{setup.error}</Text> : null}
			{setup.pending ? (
				<Box flexDirection="column" borderStyle="round" borderColor="yellow" paddingX={1}>
					<Text bold>Next: {setup.pending.title}</Text>
					<Text wrap="wrap" dimColor>{setup.pending.detail}</Text>
					{setup.pending.preview.map(line => <Text key={line} wrap="wrap">{'$ '}{line}</Text>)}
					<Text color="yellow" bold>Run this step? y runs it, any other key stops here (nothing more is changed).</Text>
				</Box>
			) : <Text dimColor>d dry run again{services.readOnly ? '' : ' · S run the steps to do, each asked first'} · each step is skipped when already done</Text>}
		</Box>
	);
}
