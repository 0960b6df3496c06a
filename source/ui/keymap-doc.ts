import {KEYMAP} from './keymap.js';
import {SCREENS} from './screens/registry.js';

/** The readme's key table, generated from the keymap and the screen list (scripts/readme-keys.mjs). */
export function keyTable(): string {
	const where = (scope: string) => {
		if (scope === 'global') return 'everywhere';
		const screens = SCREENS.filter(s => s.scopes.includes(scope as never)).map(s => `${s.key} ${s.title}`);
		return screens.length > 0 ? `${scope} (${screens.join(', ')})` : scope;
	};
	const rows = KEYMAP.map(b => `| ${b.keys.map(k => `\`${k === '|' ? '\\|' : k}\``).join(', ')} | ${where(b.scope)} | ${b.description.replaceAll('|', '\\|')}${b.dangerous ? ' (dangerous: removed by `--read-only`)' : ''} |`);
	return ['| keys | where | what |', '| --- | --- | --- |', ...rows].join('\n');
}
