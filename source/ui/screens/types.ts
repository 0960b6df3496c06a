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
}

export interface ScreenDef {
	id: string;
	/** The digit that opens it (1-9). */
	key: string;
	title: string;
	Component: (props: ScreenProps) => React.ReactNode;
}
