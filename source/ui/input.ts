import type {Key} from 'ink';
import {KEYMAP, type KeyScope} from './keymap.js';

/** Name a keypress the way the keymap spells keys. */
export function keyName(input: string, key: Key): string | undefined {
	if (key.ctrl && input === 'c') return 'Ctrl-C';
	if (key.downArrow) return 'Down';
	if (key.upArrow) return 'Up';
	if (key.return) return 'Enter';
	if (key.escape) return 'Esc';
	if (key.home) return 'Home';
	if (key.end) return 'End';
	if (key.pageDown) return 'PageDown';
	if (key.pageUp) return 'PageUp';
	if (key.tab) return 'Tab';
	if (key.leftArrow) return 'Left';
	if (key.rightArrow) return 'Right';
	if (input === ' ' && !key.ctrl && !key.meta) return 'Space';
	if (input && !key.ctrl && !key.meta) return input;
	return undefined;
}

/** The action bound to a keypress in the given scopes (first scope wins), or undefined. */
export function actionFor(input: string, key: Key, scopes: readonly KeyScope[], readOnly = false): string | undefined {
	const name = keyName(input, key);
	if (!name) return undefined;
	for (const scope of scopes) {
		const binding = KEYMAP.find(b => b.scope === scope && b.keys.includes(name) && !(readOnly && b.dangerous));
		if (binding) return binding.action;
	}
	return undefined;
}

/** Split a batched plain-text chunk into single keypresses; special keys pass through as they are. */
export function splitKeys(input: string, key: Key): [string, Key][] {
	if (input.length <= 1 || key.ctrl || key.meta || key.escape || key.return) return [[input, key]];
	return [...input].map(char => [char, {...key}]);
}
