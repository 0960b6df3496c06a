#!/usr/bin/env node
// The commands are registered in ./main.tsx; this entry only enables the compile cache first.
import module from 'node:module';

// Cache compiled code between runs (Node >= 22.1): start-up is most of a short command's time.
module.enableCompileCache?.();
await import('./main.js');
