import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {keyTable} from '../../source/ui/keymap-doc.js';
import {SCREENS} from '../../source/ui/screens/registry.js';

const readme = readFileSync(join(import.meta.dirname, '..', '..', 'readme.md'), 'utf8');

describe('readme', () => {
	it('documents exactly the keys the keymap binds (regenerate with `npm run docs`)', () => {
		const section = readme.slice(readme.indexOf('<!-- keys:start -->') + '<!-- keys:start -->'.length, readme.indexOf('<!-- keys:end -->')).trim();
		expect(section).toBe(keyTable());
	});

	it('names every screen with its digit', () => {
		for (const screen of SCREENS) expect(readme).toContain(`\`${screen.key}\` ${screen.title}`);
	});

	it('gives the two set-up commands', () => {
		expect(readme).toContain('npm install && npm run demo');
		expect(readme).toContain('npm install && npm test');
	});
});
