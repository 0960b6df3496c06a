/** Every key binding, as data: the help overlay and the readme are generated from this list. */
export type KeyScope = 'global' | 'containers' | 'filter' | 'help' | 'safety';

export interface KeyBinding {
	keys: string[];
	action: string;
	description: string;
	scope: KeyScope;
	dangerous?: boolean;
}

export const KEYMAP: readonly KeyBinding[] = [
	{keys: ['?'], action: 'help', description: 'show or hide this help', scope: 'global'},
	{keys: ['q'], action: 'quit', description: 'quit', scope: 'global'},
	{keys: ['Ctrl-C'], action: 'quit-now', description: 'quit at once, stopping remote work (exit 130)', scope: 'global'},
	{keys: ['r'], action: 'refresh', description: 'refresh the screen now', scope: 'global'},
	{keys: ['1-9'], action: 'screen', description: 'switch screen (numbers shown at the bottom)', scope: 'global'},
	{keys: ['j', 'Down'], action: 'down', description: 'move down', scope: 'containers'},
	{keys: ['k', 'Up'], action: 'up', description: 'move up', scope: 'containers'},
	{keys: ['g', 'Home'], action: 'top', description: 'first row', scope: 'containers'},
	{keys: ['G', 'End'], action: 'bottom', description: 'last row', scope: 'containers'},
	{keys: ['/'], action: 'filter', description: 'filter rows by text', scope: 'containers'},
	{keys: ['Esc'], action: 'clear-filter', description: 'clear the filter / close help', scope: 'containers'},
	{keys: ['Enter'], action: 'apply-filter', description: 'keep the filter and return to the table', scope: 'filter'},
	{keys: ['Esc'], action: 'cancel-filter', description: 'drop the filter', scope: 'filter'},
	{keys: ['j', 'Down'], action: 'down', description: 'next check', scope: 'safety'},
	{keys: ['k', 'Up'], action: 'up', description: 'previous check', scope: 'safety'},
	{keys: ['r'], action: 'rerun', description: 'run the safety checks again', scope: 'safety'},
	{keys: ['T'], action: 'probe-trading', description: 'run them with the live-trading refusal probe (asks first)', scope: 'safety', dangerous: true},
];

export function visibleBindings(readOnly: boolean): KeyBinding[] {
	return KEYMAP.filter(binding => !(readOnly && binding.dangerous));
}

export function helpLines(readOnly: boolean): {scope: KeyScope; keys: string; description: string}[] {
	return visibleBindings(readOnly).map(b => ({scope: b.scope, keys: b.keys.join(', '), description: b.description}));
}
