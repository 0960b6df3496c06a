/** Every key binding, as data: the help overlay and the readme are generated from this list. */
export type KeyScope = 'sync' | 'global' | 'containers' | 'filter' | 'help' | 'safety'
	| 'details' | 'confirm' | 'dashboard' | 'logs' | 'logs-screen' | 'search' | 'audit' | 'promote' | 'database' | 'setup';

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
	// Containers in depth: details, actions, dashboard, logs, audit
	{keys: ['Enter'], action: 'details', description: 'open the details of the selected container', scope: 'containers'},
	{keys: ['l'], action: 'logs', description: 'live log of the selected container', scope: 'containers'},
	{keys: ['R'], action: 'restart', description: 'restart the selected container (asks first)', scope: 'containers', dangerous: true},
	{keys: ['U'], action: 'update', description: 'pull its tag and recreate it, rolling back if unhealthy (asks first)', scope: 'containers', dangerous: true},
	{keys: ['j', 'Down'], action: 'down', description: 'scroll down', scope: 'details'},
	{keys: ['k', 'Up'], action: 'up', description: 'scroll up', scope: 'details'},
	{keys: ['Esc', 'Enter'], action: 'close', description: 'back to the table', scope: 'details'},
	{keys: ['l'], action: 'logs', description: 'live log of this container', scope: 'details'},
	{keys: ['R'], action: 'restart', description: 'restart this container (asks first)', scope: 'details', dangerous: true},
	{keys: ['U'], action: 'update', description: 'update this container with rollback (asks first)', scope: 'details', dangerous: true},
	{keys: ['Tab', 'Left', 'Right'], action: 'switch', description: 'move between Cancel and the action (Cancel starts focused)', scope: 'confirm'},
	{keys: ['Enter'], action: 'press', description: 'press the focused button', scope: 'confirm'},
	{keys: ['Esc'], action: 'cancel', description: 'cancel', scope: 'confirm'},
	{keys: ['j', 'Down'], action: 'down', description: 'scroll the env diff down', scope: 'dashboard'},
	{keys: ['k', 'Up'], action: 'up', description: 'scroll the env diff up', scope: 'dashboard'},
	{keys: ['d'], action: 'only-diff', description: 'show only the variables that differ', scope: 'dashboard'},
	{keys: ['f', 'Space'], action: 'follow', description: 'follow / pause', scope: 'logs'},
	{keys: ['k', 'Up'], action: 'line-up', description: 'scroll up a line (pauses)', scope: 'logs'},
	{keys: ['j', 'Down'], action: 'line-down', description: 'scroll down a line', scope: 'logs'},
	{keys: ['PageUp'], action: 'page-up', description: 'scroll up a page (pauses)', scope: 'logs'},
	{keys: ['PageDown'], action: 'page-down', description: 'scroll down a page', scope: 'logs'},
	{keys: ['g', 'Home'], action: 'oldest', description: 'oldest line in the buffer', scope: 'logs'},
	{keys: ['G', 'End'], action: 'newest', description: 'newest line, following again', scope: 'logs'},
	{keys: ['/'], action: 'search', description: 'search (matches highlighted)', scope: 'logs'},
	{keys: ['n'], action: 'next-match', description: 'next (older) match', scope: 'logs'},
	{keys: ['N'], action: 'prev-match', description: 'previous (newer) match', scope: 'logs'},
	{keys: ['Esc'], action: 'clear-search', description: 'clear the search', scope: 'logs'},
	{keys: ['w'], action: 'wrap', description: 'wrap long lines on/off', scope: 'logs'},
	{keys: ['t'], action: 'timestamps', description: 'timestamps on/off', scope: 'logs'},
	{keys: ['s'], action: 'save', description: 'save the buffer to a file in the current directory', scope: 'logs'},
	{keys: ['Tab', ']'], action: 'next-container', description: 'next container (stops the old stream)', scope: 'logs-screen'},
	{keys: ['['], action: 'prev-container', description: 'previous container', scope: 'logs-screen'},
	{keys: ['Enter'], action: 'apply-search', description: 'search for the typed text', scope: 'search'},
	{keys: ['Esc'], action: 'cancel-search', description: 'stop typing the search', scope: 'search'},
	{keys: ['j', 'Down'], action: 'down', description: 'older entry', scope: 'audit'},
	{keys: ['k', 'Up'], action: 'up', description: 'newer entry', scope: 'audit'},
	{keys: ['g', 'Home'], action: 'top', description: 'newest entry', scope: 'audit'},
	{keys: ['G', 'End'], action: 'bottom', description: 'oldest entry', scope: 'audit'},
	{keys: ['Enter'], action: 'expand', description: 'show the whole entry', scope: 'audit'},
	{keys: ['a'], action: 'actions-only', description: 'only actions (restart, update, rollback)', scope: 'audit'},
	{keys: ['j', 'Down'], action: 'down', description: 'next check', scope: 'safety'},
	{keys: ['k', 'Up'], action: 'up', description: 'previous check', scope: 'safety'},
	{keys: ['r'], action: 'rerun', description: 'run the safety checks again', scope: 'safety'},
	{keys: ['T'], action: 'probe-trading', description: 'run them with the live-trading refusal probe (asks first)', scope: 'safety', dangerous: true},
	{keys: ['j', 'Down'], action: 'down', description: 'next feature branch', scope: 'promote'},
	{keys: ['k', 'Up'], action: 'up', description: 'previous feature branch', scope: 'promote'},
	{keys: ['d'], action: 'dry-run', description: 'dry run to staging: every command each step would run (nothing runs)', scope: 'promote'},
	{keys: ['D'], action: 'dry-run-production', description: 'dry run through production', scope: 'promote'},
	{keys: ['Enter'], action: 'promote-staging', description: 'promote the branch to staging: merge, wait for CI, update, verify', scope: 'promote', dangerous: true},
	{keys: ['P'], action: 'promote-production', description: 'promote through staging to production (gate: type the container name)', scope: 'promote', dangerous: true},
	{keys: ['b'], action: 'rollback', description: 'after a failed verification: back to the previous image', scope: 'promote', dangerous: true},
	{keys: ['Esc'], action: 'back', description: 'back to the branch list (when nothing runs)', scope: 'promote'},
	{keys: ['s'], action: 'run', description: 'run the sync script now (preflight first; streams live, verifies after)', scope: 'sync', dangerous: true},
	{keys: ['R'], action: 'reattach', description: 'reattach to a sync run started by jutsu-ops that is still going', scope: 'sync'},
	{keys: ['a'], action: 'attach', description: 'follow the sync log live (the 2 AM run, or one started elsewhere)', scope: 'sync'},
	{keys: ['Esc', 'x'], action: 'stop', description: 'stop: the remote run is killed and its lock released (or stop following)', scope: 'sync'},
	{keys: ['p'], action: 'preflight', description: 'preflight checklist (script, commands, lock, tables, cascades, schedule)', scope: 'sync'},
	{keys: ['v'], action: 'verify', description: 'verify: synced tables equal in production and staging (read-only)', scope: 'sync'},
	{keys: ['h'], action: 'history', description: 'history of past runs / back to the output', scope: 'sync'},
	{keys: ['k', 'Up'], action: 'up', description: 'scroll back', scope: 'sync'},
	{keys: ['j', 'Down'], action: 'down', description: 'scroll forward', scope: 'sync'},
	{keys: ['e'], action: 'exact', description: 'count every row (and checksum) instead of the estimates', scope: 'database'},
	{keys: ['j', 'Down'], action: 'down', description: 'scroll the schema differences down', scope: 'database'},
	{keys: ['k', 'Up'], action: 'up', description: 'scroll the schema differences up', scope: 'database'},
	{keys: ['d'], action: 'dry-run', description: 'inspect every step again: what is done, what each would run (nothing changes)', scope: 'setup'},
	{keys: ['S'], action: 'run', description: 'run the steps to do, one at a time: each shown with its preview and asked (y runs it, any other key stops there; production is only read)', scope: 'setup', dangerous: true},
];

export function visibleBindings(readOnly: boolean): KeyBinding[] {
	return KEYMAP.filter(binding => !(readOnly && binding.dangerous));
}

export function helpLines(readOnly: boolean): {scope: KeyScope; keys: string; description: string}[] {
	return visibleBindings(readOnly).map(b => ({scope: b.scope, keys: b.keys.join(', '), description: b.description}));
}
