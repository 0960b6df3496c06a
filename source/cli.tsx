#!/usr/bin/env node
// The commands are registered in ./main.tsx; this entry checks the runtime and enables the compile cache first.
import module from 'node:module';
import process from 'node:process';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
	process.stderr.write(`jutsu-ops: needs Node 22 or newer; this is Node ${process.versions.node}. Nothing was run.\n`);
	process.stderr.write('jutsu-ops: Run it through the project (`npx jutsu-ops ...` or `npm start -- ...`), which uses its pinned Node 24.\n');
	process.exit(2);
}

// Cache compiled code between runs (Node >= 22.1): start-up is most of a short command's time.
module.enableCompileCache?.();
// React's development build re-renders several times slower (measured: log view key-to-frame under a flood
// 374 -> 197 ms median): the binary runs the production build unless told otherwise.
process.env.NODE_ENV ??= 'production';
await import('./main.js');
