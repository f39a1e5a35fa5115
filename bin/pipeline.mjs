#!/usr/bin/env node
// Entry point. Runs the bundled CLI (dist/, rebuilt here whenever lib/ changed) because loading one
// bundle is several times faster than compiling dozens of TypeScript modules at every start; falls
// back to the TypeScript sources through tsx when the bundle cannot be built.
import { BUNDLE, build, bundleIsFresh } from './build.mjs';

// `pipeline status | head`: the reader has gone, which is not an error of ours (nor a stack trace)
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

let main;
if (process.env.DCSP_NO_BUNDLE !== '1') {
  try {
    if (!(await bundleIsFresh())) await build();
    ({ main } = await import(BUNDLE));
    globalThis.__dcspNeedsTypeScript = true; // stage modules still need a loader: see lib/contract/typescript.ts
  } catch (err) {
    process.stderr.write(`pipeline: running from sources (bundle unavailable: ${err.message.split('\n')[0]})\n`);
  }
}
if (!main) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../lib/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
