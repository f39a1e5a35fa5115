#!/usr/bin/env node
// Entry point: the CLI is TypeScript, loaded through tsx so a clone runs without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../lib/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
