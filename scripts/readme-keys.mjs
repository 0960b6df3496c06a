#!/usr/bin/env node
// Rewrites the key table in readme.md (between the keys markers) from the keymap, so the readme cannot drift.
// Run after `npm run build`: `node scripts/readme-keys.mjs` (or `--check` to fail when the readme is stale).
import {readFileSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const {keyTable} = await import(join(root, 'dist', 'ui', 'keymap-doc.js'));
const file = join(root, 'readme.md');
const text = readFileSync(file, 'utf8');
const start = '<!-- keys:start -->';
const end = '<!-- keys:end -->';
const before = text.slice(0, text.indexOf(start) + start.length);
const after = text.slice(text.indexOf(end));
const next = `${before}\n${keyTable()}\n${after}`;
if (process.argv.includes('--check')) {
	if (next !== text) {
		console.error('readme.md: the key table is stale; run `npm run build && node scripts/readme-keys.mjs`');
		process.exit(1);
	}
} else {
	writeFileSync(file, next);
}
