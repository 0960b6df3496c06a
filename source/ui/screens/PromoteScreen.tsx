import {Box, Text, useInput} from 'ink';
import Spinner from 'ink-spinner';
import {useEffect, useState} from 'react';
import {ConfirmDialog} from '../components/ConfirmDialog.js';
import {type StepView, usePromote} from '../hooks/usePromote.js';
import {actionFor, splitKeys} from '../input.js';
import type {ScreenProps} from './types.js';

function elapsed(ms: number | undefined): string {
	if (ms === undefined) return '';
	const s = Math.floor(ms / 1000);
	return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

function StepLine({step, index, now, width}: {step: StepView; index: number; now: number; width: number}) {
	const mark = step.status === 'running'
		? <Text color="cyan"><Spinner type="dots" /></Text>
		: step.status === 'done' ? <Text color="green">✓</Text>
			: step.status === 'failed' ? <Text color="red">✗</Text> : <Text dimColor>·</Text>;
	const time = step.status === 'running' ? elapsed(step.began ? Math.max(0, now - step.began) : undefined) : elapsed(step.took);
	const detail = step.status === 'running' ? step.progress ?? step.detail : step.status === 'failed' ? step.error?.join(' ') : step.detail;
	return (
		<Box flexDirection="column">
			<Box>
				{mark}
				<Text bold={step.status === 'running'}> {String(index + 1).padStart(2)}. {step.title}</Text>
				<Text dimColor> {time}</Text>
			</Box>
			{detail ? <Text color={step.status === 'failed' ? 'red' : undefined} dimColor={step.status !== 'failed'} wrap="truncate-end">{'      '}{detail.slice(0, Math.max(10, width - 6))}</Text> : null}
		</Box>
	);
}

export function PromoteScreen({services, active, width, height, onFocus, onTyping}: ScreenProps) {
	const p = usePromote(services);
	const [selected, setSelected] = useState(0);
	const [now, setNow] = useState(Date.now());
	const [confirmRollback, setConfirmRollback] = useState(false);
	const [planTop, setPlanTop] = useState(0);
	const production = services.profile.environments.production.container;
	const staging = services.profile.environments.staging.container;
	const clamped = Math.min(selected, Math.max(0, p.branches.length - 1));
	const branch = p.branches[clamped];
	const run = p.run;
	const gate = run?.gate;
	const failedVerify = run && !run.running ? run.steps.find(s => s.status === 'failed' && s.id.startsWith('verify-')) : undefined;
	const rollbackEnv = failedVerify?.id === 'verify-production' ? 'production' : 'staging';

	useEffect(() => {
		// Production is in focus from the gate on (the gate itself, and every production step that has begun).
		const envInFocus = gate || run?.steps.some(s => (s.id === 'gate' || s.id.endsWith('-main') || s.id.endsWith('-production')) && s.status !== 'pending' && !(s.id === 'gate' && s.status === 'failed')) ? 'production' : 'staging';
		onFocus({environment: envInFocus, name: envInFocus === 'production' ? production : staging});
	}, [run, gate, onFocus, production, staging]);
	useEffect(() => {
		onTyping(Boolean(gate) || confirmRollback);
	}, [gate, confirmRollback, onTyping]);
	useEffect(() => {
		p.loadPreview(branch?.name);
	}, [branch?.name, p.loadPreview]);
	useEffect(() => {
		if (!run?.running) return;
		const t = setInterval(() => setNow(Date.now()), 500);
		return () => clearInterval(t);
	}, [run?.running]);

	useInput((input, key) => {
		if (gate || confirmRollback) return; // the dialog has the keys
		let row = clamped;
		for (const [char, k] of splitKeys(input, key)) {
			const action = actionFor(char, k, ['promote', 'global'], services.readOnly);
			if (p.plan) {
				if (action === 'back') {
					p.closePlan();
					setPlanTop(0);
				} else if (action === 'down') setPlanTop(t => t + 1);
				else if (action === 'up') setPlanTop(t => Math.max(0, t - 1));
				continue;
			}
			if (run) {
				if (action === 'back' && !run.running) p.closeRun();
				else if (action === 'rollback' && failedVerify && !p.rollbackState?.running) {
					if (rollbackEnv === 'production') setConfirmRollback(true);
					else p.rollback(false);
				}
				continue;
			}
			switch (action) {
				case 'down': row = Math.min(row + 1, Math.max(0, p.branches.length - 1)); break;
				case 'up': row = Math.max(row - 1, 0); break;
				case 'refresh': p.refresh(); break;
				case 'dry-run': if (branch) p.dryRun(branch.name, 'staging'); break;
				case 'dry-run-production': if (branch) p.dryRun(branch.name, 'production'); break;
				case 'promote-staging': if (branch) p.start(branch.name, 'staging'); break;
				case 'promote-production': if (branch) p.start(branch.name, 'production'); break;
				default: break;
			}
		}
		setSelected(row);
	}, {isActive: active});

	if (p.plan) {
		const lines = Array.isArray(p.plan) ? p.plan : [
			`Dry run: ${p.plan.branch} → ${p.plan.target} (nothing is run)`,
			...p.plan.notes.map(n => `  · ${n}`),
			...p.plan.steps.flatMap((s, i) => [`${i + 1}. ${s.title}`, ...s.commands.map(c => `   $ ${c}`)]),
		];
		return (
			<Box flexDirection="column">
				{lines.slice(Math.min(planTop, Math.max(0, lines.length - 3)), Math.min(planTop, Math.max(0, lines.length - 3)) + Math.max(3, height - 1)).map((l, i) => <Text key={i} wrap="truncate-end" bold={l.startsWith('Dry run')}>{l}</Text>)}
				<Text dimColor>j/k scroll · Esc back</Text>
			</Box>
		);
	}

	if (run) {
		const done = run.journal?.status;
		return (
			<Box flexDirection="column">
				<Text bold>Promote {run.branch} → {run.target}{run.journal ? <Text dimColor> (promotion {run.journal.id})</Text> : null}</Text>
				{run.notes.map(n => <Text key={n} dimColor>{n}</Text>)}
				{run.steps.map((s, i) => <StepLine key={s.id} step={s} index={i} now={now} width={width} />)}
				{gate ? (
					<ConfirmDialog
						title={`Release to PRODUCTION (${gate.container})`}
						lines={[
							`${gate.branch}: ${gate.commits.length} commit(s) up to ${gate.stagingCommit.slice(0, 12)}; staging serves ${gate.stagingRevisionServed?.slice(0, 12) ?? 'unknown'}.`,
							...gate.commits.slice(0, 6).map(c => `  ${c.sha.slice(0, 7)} ${c.subject}`),
							...(gate.diffstat ? [gate.diffstat.split('\n').at(-1)!.trim()] : []),
						]}
						confirmLabel="Release to production"
						requireText={gate.container}
						onConfirm={() => p.answerGate(true)}
						onCancel={() => p.answerGate(false)}
						active={active}
					/>
				) : null}
				{confirmRollback ? (
					<ConfirmDialog
						title={`Roll back PRODUCTION (${production}) to its previous image`}
						lines={['The container is re-created on the image it ran before this promotion.']}
						confirmLabel="Roll back"
						requireText={production}
						onConfirm={() => {
							setConfirmRollback(false);
							p.rollback(true);
						}}
						onCancel={() => setConfirmRollback(false)}
						active={active}
					/>
				) : null}
				{run.running ? null : (
					<Box flexDirection="column" marginTop={1}>
						{done === 'done'
							? <Text color="green" bold>Promotion done: {run.branch} is in {run.target}.</Text>
							: <Text color="red" bold>Promotion {done ?? 'failed'}{run.error ? `: ${run.error[0]}` : ''}</Text>}
						{run.error?.[1] ? <Text wrap="wrap">{run.error[1]}</Text> : null}
						{p.rollbackState ? (
							p.rollbackState.running
								? <Text color="cyan"><Spinner type="dots" /> rolling back… {p.rollbackState.message ?? ''}</Text>
								: p.rollbackState.error ? <Text color="red">{p.rollbackState.error}</Text> : <Text color="green">{p.rollbackState.message}</Text>
						) : null}
						<Text dimColor>Esc back{failedVerify && !services.readOnly && !p.rollbackState ? ` · b roll ${rollbackEnv} back to its previous image` : ''}</Text>
					</Box>
				)}
			</Box>
		);
	}

	const open = p.unfinished();
	const listHeight = Math.max(3, Math.floor((height - 6) / 2));
	const start = Math.max(0, Math.min(clamped - Math.floor(listHeight / 2), p.branches.length - listHeight));
	return (
		<Box flexDirection="column">
			{p.loading && p.branches.length === 0 ? <Text color="yellow"><Spinner type="dots" /> fetching branches…</Text> : null}
			{p.error ? <Text color="red" wrap="wrap">{p.error}</Text> : null}
			{open ? <Text color="yellow">Unfinished: {open.branch} → {open.target} ({open.status} at {open.steps.find(s => s.status !== 'done')?.id ?? 'the end'}); promote it again to resume.</Text> : null}
			{!p.loading && p.branches.length === 0 && !p.error ? <Text dimColor>No {services.profile.repo.featurePrefix}* branches.</Text> : null}
			{p.branches.slice(start, start + listHeight).map((b, i) => {
				const index = start + i;
				const isSel = index === clamped;
				return (
					<Text key={b.name} inverse={isSel} wrap="truncate-end">
						{isSel ? '› ' : '  '}{b.name.padEnd(28)} <Text color="green">+{b.ahead}</Text>/<Text color="red">-{b.behind}</Text> {b.local ? 'L' : ' '}{b.remote ? 'R' : ' '} {b.last ? `${b.last.sha.slice(0, 7)} ${b.last.subject}` : ''}
					</Text>
				);
			})}
			{p.preview && branch && p.preview.branch === branch.name ? (
				<Box flexDirection="column" marginTop={1}>
					<Text bold>{p.preview.commits.length} commit(s) of {branch.name} would land in {p.preview.base}:</Text>
					{p.preview.commits.slice(0, 5).map(c => <Text key={c.sha} wrap="truncate-end">  {c.sha.slice(0, 7)} {c.subject} <Text dimColor>({c.author})</Text></Text>)}
					{p.preview.diffstat.split('\n').filter(Boolean).slice(-Math.max(1, height - listHeight - 12)).map((l, i) => <Text key={i} dimColor wrap="truncate-end">{l}</Text>)}
				</Box>
			) : null}
			<Text dimColor>j/k select · d dry run (D to production){services.readOnly ? '' : ' · Enter promote to staging · P promote to production'} · r refresh</Text>
		</Box>
	);
}

