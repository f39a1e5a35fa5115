// Time to generate the default toy dataset (2,000 / 500 / 100 images), and how that splits between
// rasterising in JS and encoding/writing. Run: node --import tsx bench/toy-gen.ts [--small]

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { generateToyDataset, renderToySample, resolveToyOptions, type ToyOptionsInput } from '../lib/data/toy-generate.ts';

const small = process.argv.includes('--small');
const input: ToyOptionsInput = small ? { counts: { train: 200, val: 50, test: 10 } } : {};
const opts = resolveToyOptions(input);
const total = opts.counts.train + opts.counts.val + opts.counts.test;
const out = join(import.meta.dirname, '.tmp', 'toy-gen');
await rm(out, { recursive: true, force: true });

// reference in the same run: rendering alone (no encoding, no disk) for the first 300 train images
const nRender = Math.min(300, opts.counts.train);
let t = performance.now();
for (let i = 0; i < nRender; i++) renderToySample(opts, 'train', i);
const renderMs = (performance.now() - t) / nRender;

t = performance.now();
await generateToyDataset(out, input);
const genS = (performance.now() - t) / 1000;
const perImageMs = (genS * 1000) / total;

console.log(`toy generation: ${total} images (${opts.counts.train}/${opts.counts.val}/${opts.counts.test}), ${opts.minSize}-${opts.maxSize} px`);
console.log(`  full generation (render + JPEG/PNG encode + write): ${genS.toFixed(1)} s, ${perImageMs.toFixed(2)} ms/image`);
console.log(`  render only (JS rasterising, ${nRender} images): ${renderMs.toFixed(2)} ms/image`);
console.log(`  ratio full / render-only per image: ${(perImageMs / renderMs).toFixed(2)}`);
await rm(out, { recursive: true, force: true });
