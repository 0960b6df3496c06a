#!/usr/bin/env node
// Runs every bench/*.bench.mjs in turn (each prints its own ratio lines), after making sure the lab is up.
import {spawnSync} from 'node:child_process';
import {readdirSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const up = spawnSync('bash', [join(here, '..', 'test', 'lab', 'up.sh')], {stdio: ['ignore', 'ignore', 'inherit']});
if (up.status !== 0) {
	console.error('bench: the lab could not start');
	process.exit(2);
}
let failed = 0;
for (const file of readdirSync(here).filter(f => f.endsWith('.bench.mjs')).sort()) {
	if (only.length > 0 && !only.some(o => file.includes(o))) continue;
	console.log(`\n== ${file}`);
	const result = spawnSync(process.execPath, [join(here, file)], {stdio: 'inherit'});
	if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
