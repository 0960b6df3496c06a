import {ContainersScreen} from './ContainersScreen.js';
import {SafetyScreen} from './SafetyScreen.js';
import type {ScreenDef} from './types.js';

/** Screens as data: the digit keys, the help overlay and the header read this list. */
export const SCREENS: readonly ScreenDef[] = [
	{id: 'containers', key: '1', title: 'Containers', Component: ContainersScreen},
	{id: 'safety', key: '2', title: 'Safety', Component: SafetyScreen},
];
