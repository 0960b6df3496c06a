import {Box, Text, useInput} from 'ink';
import {useState} from 'react';
import {actionFor} from '../input.js';

export interface ConfirmDialogProps {
	title: string;
	lines: string[];
	confirmLabel: string;
	/** When set (production), the operator must type this exactly before the confirm button works. */
	requireText?: string;
	onConfirm: () => void;
	onCancel: () => void;
	active?: boolean;
}

/** A dangerous action's dialog: Cancel is focused; Tab or arrows move focus; Enter presses; Esc cancels. */
export function ConfirmDialog({title, lines, confirmLabel, requireText, onConfirm, onCancel, active = true}: ConfirmDialogProps) {
	const [focus, setFocus] = useState<'cancel' | 'confirm'>('cancel');
	const [typed, setTyped] = useState('');
	const armed = requireText === undefined || typed === requireText;

	useInput((input, key) => {
		const action = actionFor(input, key, ['confirm']);
		if (action === 'cancel') {
			onCancel();
			return;
		}
		if (action === 'switch') {
			setFocus(f => (f === 'cancel' ? 'confirm' : 'cancel'));
			return;
		}
		if (action === 'press') {
			if (focus === 'confirm' && armed) onConfirm();
			else if (focus === 'cancel') onCancel();
			return;
		}
		if (requireText === undefined) return;
		if (key.backspace || key.delete) setTyped(t => t.slice(0, -1));
		else if (input && !key.ctrl && !key.meta && !key.tab) setTyped(t => (t + input).slice(0, 200));
	}, {isActive: active});

	return (
		<Box flexDirection="column" borderStyle="round" borderColor="red" paddingX={1}>
			<Text bold color="red">{title}</Text>
			{lines.map(line => <Text key={line} wrap="wrap">{line}</Text>)}
			{requireText === undefined ? null : (
				<Text>
					Type <Text bold>{requireText}</Text> to confirm: <Text color={armed ? 'green' : 'yellow'}>{typed}</Text><Text inverse> </Text>
				</Text>
			)}
			<Box marginTop={1}>
				<Text inverse={focus === 'cancel'} bold={focus === 'cancel'}>{' [ Cancel ] '}</Text>
				<Text> </Text>
				<Text inverse={focus === 'confirm'} color={armed ? 'red' : 'gray'} dimColor={!armed}>{` [ ${confirmLabel} ] `}</Text>
			</Box>
			<Text dimColor>Tab/←/→ move · Enter press · Esc cancel{armed ? '' : ' · the button works once the name is typed'}</Text>
		</Box>
	);
}
