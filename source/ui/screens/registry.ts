import {AuditScreen} from './AuditScreen.js';
import {ContainersScreen} from './ContainersScreen.js';
import {DatabaseScreen} from './DatabaseScreen.js';
import {DashboardScreen} from './DashboardScreen.js';
import {LogsScreen} from './LogsScreen.js';
import {PromoteScreen} from './PromoteScreen.js';
import {SetupScreen} from './SetupScreen.js';
import {SafetyScreen} from './SafetyScreen.js';
import {SyncScreen} from './SyncScreen.js';
import type {ScreenDef} from './types.js';

/** Screens as data: the digit keys, the help overlay and the header read this list. */
export const SCREENS: readonly ScreenDef[] = [
	{id: 'dashboard', key: '1', title: 'Dashboard', scopes: ['dashboard'], Component: DashboardScreen},
	{id: 'safety', key: '2', title: 'Safety', scopes: ['safety'], Component: SafetyScreen},
	{id: 'containers', key: '3', title: 'Containers', scopes: ['containers', 'filter', 'details', 'confirm'], Component: ContainersScreen},
	{id: 'logs', key: '4', title: 'Logs', scopes: ['logs-screen', 'logs', 'search'], Component: LogsScreen},
	{id: 'promote', key: '6', title: 'Promote', scopes: ['promote', 'confirm'], Component: PromoteScreen},
	{id: 'sync', key: '5', title: 'Sync', scopes: ['sync', 'confirm'], Component: SyncScreen},
	{id: 'database', key: '7', title: 'Database', scopes: ['database'], Component: DatabaseScreen},
	{id: 'audit', key: '8', title: 'Audit', scopes: ['audit'], Component: AuditScreen},
	{id: 'setup', key: '9', title: 'Setup', scopes: ['setup'], Component: SetupScreen},
];
