import type {KeyScope} from '../keymap.js';
import type {EnvironmentName} from '../../core/config/schema.js';
import type {AppServices} from '../services.js';

/** What the colour band shows: the environment (and container) the operator is looking at. */
export interface Focus {
	environment: EnvironmentName | undefined;
	name: string | undefined;
}

export interface ScreenProps {
	services: AppServices;
	/** Only the active screen handles keys. */
	active: boolean;
	width: number;
	height: number;
	onFocus: (focus: Focus) => void;
	/** A screen that is taking text (a filter, a confirmation) says so, so global keys do not fire. */
	onTyping: (typing: boolean) => void;
	/** What the band showed when this screen opened (e.g. the container to show logs of). */
	focus?: Focus;
	/** Open another screen (e.g. Containers 'l' opens Logs on the selected container). */
	navigate?: (screenId: string) => void;
}

export interface ScreenDef {
	id: string;
	/** The digit that opens it (1-9). */
	key: string;
	title: string;
	/** Keymap scopes active on this screen: the help overlay lists these after the global keys. */
	scopes: readonly KeyScope[];
	Component: (props: ScreenProps) => React.ReactNode;
}
