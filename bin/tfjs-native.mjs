#!/usr/bin/env node
// Builds tfjs-node / tfjs-node-gpu against a TensorFlow pip wheel: see lib/native/main.ts.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../lib/native/main.ts');
process.exitCode = await main(process.argv.slice(2), join(dirname(fileURLToPath(import.meta.url)), '..'));
