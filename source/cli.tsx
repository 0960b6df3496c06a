#!/usr/bin/env node
// The commands are registered in ./main.tsx; this entry only enables the compile cache first.
import module from 'node:module';

// Cache compiled code between runs (Node >= 22.1): start-up is most of a short command's time.
module.enableCompileCache?.();
// React's development build re-renders several times slower (measured: log view key-to-frame under a flood
// 374 -> 197 ms median): the binary runs the production build unless told otherwise.
process.env.NODE_ENV ??= 'production';
await import('./main.js');
