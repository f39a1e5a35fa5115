// The per-image stages' inference batched against one image at a time, on the toy profile's
// network and image sizes: images/s of attention (3 scales, chunks of 8) and eval (3 scales +
// dense CRF, chunks of 4), on tfjs-node and wasm, each backend a process of its own set up as a
// per-item stage is (one intra-op thread; on tfjs-node oneDNN off and deterministic ops, as the
// run's numerics do). Variants, alternated image chunk by image chunk so all see the same load:
//   one    inference.ts, one image per forward pass (the reference: what tfjs-node's stages did
//          before their batches were keyed)
//   batched  inference-batch.ts on the batches the stages cut (lib/tensor/batches.ts sizeGroups:
//          equal sizes, up to the backend's pixel budget and the stage's chunk size), one forward
//          pass per scale each: what the stages do on every backend; the items whose output
//          differs from `one` are counted (their keys name their batch, so that is allowed)
//   unbounded  (VOC sizes) the same without the pixel budget: a chunk's size group in one pass
//   pad    (attention) each chunk's images, in id order, padded to the chunk's largest size at each
//          scale: one forward pass per scale, outputs cropped (moves results near the borders)
//   scales (attention) the three scales of one image padded to its size: one forward pass of 3
// With --dataset and --model (a toy run's dataset and fcan-pretrain artifact directories) it reads
// the real images and weights; otherwise noise images of the toy's sizes and an untrained network.
//
// A third row times attention on noise images of VOC's two common sizes (--voc N of them), where
// equal sizes are the rule, on the same network.
//
//   node --import tsx bench/per-image-batch.ts [--rounds N] [--attention N] [--eval N] [--voc N] [--dataset DIR --model DIR]

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type * as TF from '@tensorflow/tfjs';

const { values: opt } = parseArgs({
  args: process.argv.slice(2),
  options: {
    rounds: { type: 'string', default: '2' },
    attention: { type: 'string', default: '96' },
    eval: { type: 'string', default: '48' },
    voc: { type: 'string', default: '16' },
    dataset: { type: 'string' },
    model: { type: 'string' },
    worker: { type: 'string' },
  },
});

interface Measured {
  backend: string;
  /** stage -> variant -> [images, seconds] */
  times: Record<string, Record<string, [number, number]>>;
  /** variant -> deviation from `one` */
  deviation: Record<string, string>;
}

const SCALES = [1, 0.75, 0.5];

if (opt.worker !== undefined) await worker(opt.worker);
else parent();

function parent(): void {
  const rounds = Number(opt.rounds);
  const sum: Record<string, Measured['times']> = {};
  const deviation: Record<string, Record<string, string>> = {};
  for (let r = 0; r < rounds; r++) {
    for (const backend of r % 2 === 0 ? ['tfjs-node', 'wasm'] : ['wasm', 'tfjs-node']) {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        TF_NUM_INTRAOP_THREADS: '1',
        TF_NUM_INTEROP_THREADS: '1',
        TF_DETERMINISTIC_OPS: '1',
        TF_ENABLE_ONEDNN_OPTS: '0',
        TF_CPP_MIN_LOG_LEVEL: '3',
      };
      const args = ['--import', 'tsx', import.meta.filename, '--worker', backend, '--attention', opt.attention!, '--eval', opt.eval!, '--voc', opt.voc!];
      if (opt.dataset && opt.model) args.push('--dataset', opt.dataset, '--model', opt.model);
      const child = spawnSync(process.execPath, args, { env, encoding: 'utf8', maxBuffer: 1 << 24 });
      const line = child.stdout.split('\n').find((l) => l.startsWith('{'));
      if (child.status !== 0 || !line) throw new Error(`${backend} worker failed: ${child.stderr.slice(-2000)}`);
      const m = JSON.parse(line) as Measured;
      for (const [stage, vs] of Object.entries(m.times)) for (const [v, [n, s]] of Object.entries(vs)) add(sum, backend, stage, v, n, s);
      deviation[backend] = m.deviation;
      console.log(`round ${r + 1} ${backend}: ${summary(m.times)}`);
    }
  }
  console.log(`\nimages/s over ${rounds} round(s), and each variant's ratio against one-at-a-time measured beside it:`);
  for (const [backend, stages] of Object.entries(sum)) {
    for (const [stage, vs] of Object.entries(stages)) {
      const ref = vs.one[0] / vs.one[1];
      const cells = Object.entries(vs).map(([v, [n, s]]) => `${v} ${(n / s).toFixed(2)}${v === 'one' ? '' : ` (x${(n / s / ref).toFixed(2)})`}`);
      console.log(`  ${backend.padEnd(9)} ${stage.padEnd(9)} ${cells.join('   ')}`);
    }
  }
  console.log('\nresults against one-at-a-time:');
  for (const [backend, d] of Object.entries(deviation)) for (const [v, text] of Object.entries(d)) console.log(`  ${backend.padEnd(9)} ${v.padEnd(6)} ${text}`);
}

function add(into: Record<string, Measured['times']>, backend: string, stage: string, variant: string, n: number, s: number): void {
  into[backend] ??= {};
  into[backend][stage] ??= {};
  const [n0, s0] = into[backend][stage][variant] ?? [0, 0];
  into[backend][stage][variant] = [n0 + n, s0 + s];
}

function summary(times: Measured['times']): string {
  return Object.entries(times)
    .map(
      ([stage, vs]) =>
        `${stage} ${Object.entries(vs)
          .map(([v, [n, s]]) => `${v} ${(n / s).toFixed(2)}/s`)
          .join(', ')}`,
    )
    .join('; ');
}

async function worker(backend: string): Promise<void> {
  const tf = await import('@tensorflow/tfjs');
  const { initBackend, parseBackendName } = await import('../lib/tensor/backend.ts');
  const { buildModel, loadModel } = await import('../lib/model/build.ts');
  const { Prng } = await import('../lib/tensor/random.ts');
  const inf = await import('../lib/model/inference.ts');
  const batch = await import('../lib/model/inference-batch.ts');
  const { batchPixelsOn, sizeGroups } = await import('../lib/tensor/batches.ts');
  const budget = batchPixelsOn(backend);
  const { segmentImage, segmentImages } = await import('../lib/predict/segment.ts');
  const { normaliseAttention } = await import('../lib/model/attention-norm.ts');
  const { toNetworkInput } = await import('../lib/model/preprocess.ts');
  const { chunkIds } = await import('../lib/exec/item-scheduler.ts');
  type RgbImage = import('../lib/types.ts').RgbImage;
  type AttentionMaps = import('../lib/model/attention-norm.ts').AttentionMaps;

  const info = await initBackend({ prefer: parseBackendName(backend, '--worker'), log: () => {} });
  if (info.name !== backend) throw new Error(`asked for ${backend}, got ${info.name}`);
  const rng = new Prng(7);

  // the items of a stage: real toy images, or noise of the toy's sizes (each side drawn from [80, 96])
  let model: import('../lib/model/model.ts').SegmentationModel;
  let pool: (count: number) => Promise<{ id: string; image: RgbImage; classes: number[] }[]>;
  if (opt.dataset && opt.model) {
    const { Artifact } = await import('../lib/store/artifact.ts');
    const { Dataset } = await import('../lib/layouts/dataset.ts');
    const ds = await Dataset.open(await Artifact.open(opt.dataset));
    model = await loadModel(join(opt.model, 'checkpoint'));
    pool = async (split) => {
      const ids = ds.ids(split === 0 ? 'train' : 'val');
      return Promise.all(ids.map(async (id) => ({ id, image: await ds.readImage(id), classes: ds.labels(id) })));
    };
  } else {
    model = buildModel('deeplab-lite-os4', { classes: 21, seed: 1 });
    const side = (): number => 80 + Math.floor(rng.next() * 17);
    pool = async (split) =>
      Array.from({ length: split === 0 ? 1000 : 200 }, (_, i) => {
        const width = side(),
          height = side();
        return {
          id: String(i),
          image: { width, height, data: new Uint8Array(width * height * 3).map(() => Math.floor(rng.next() * 256)) },
          classes: [1 + (i % 20)],
        };
      });
  }
  // the batches a stage cuts (lib/exec/item-batches.ts: its whole item list by size, within the
  // backend's budget and the chunk size), spread over the set
  const chunksOf = (items: Awaited<ReturnType<typeof pool>>, size: number, want: number, maxPixels = budget) => {
    const all = sizeGroups(
      items.map((it) => it.image),
      maxPixels,
      size,
    ).map((g) => g.map((i) => items[i]));
    // every step-th batch (batches hold 1 to `size` images) until `want` images
    const step = Math.max(1, Math.floor(items.length / want));
    const picked: typeof all = [];
    let n = 0;
    for (let i = 0; i < all.length && n < want; i += step) {
      picked.push(all[i]);
      n += all[i].length;
    }
    return picked;
  };
  const train = await pool(0);
  const val = await pool(1);
  const attChunks = chunksOf(train, 8, Number(opt.attention));
  const evalChunks = chunksOf(val, 4, Number(opt.eval));
  // pad: chunks of 8 in id order, whatever their sizes
  const padChunks = chunkIds(
    train.map((_, i) => String(i)),
    8,
  )
    .filter((_, i, all) => i % Math.max(1, Math.floor(all.length / attChunks.length)) === 0)
    .slice(0, attChunks.length)
    .map((c) => c.map((i) => train[Number(i)]));

  const crf = { scales: SCALES, crf: true, crfParams: {} };
  const classes = model.classes;
  const times: Measured['times'] = { attention: {}, eval: {}, 'attention at VOC sizes': {} };
  const timed = async (stage: string, variant: string, n: number, f: () => Promise<unknown>): Promise<void> => {
    const t = performance.now();
    await f();
    const s = (performance.now() - t) / 1000;
    add({ here: times }, 'here', stage, variant, n, s);
  };

  // warm-up: every shape's kernels once, outside the timing
  await batch.attentionMapsBatch(model, attChunks[0], SCALES);
  await inf.attentionMaps(model, attChunks[0][0].image, attChunks[0][0].classes, SCALES);

  const dev = { batchedAttention: 0, batchedEval: 0, pad: [] as [AttentionMaps, AttentionMaps][], scales: [] as [AttentionMaps, AttentionMaps][] };
  for (let c = 0; c < Math.max(attChunks.length, evalChunks.length); c++) {
    const flip = c % 2 === 1;
    const att = attChunks[c];
    if (att) {
      const variants: [string, () => Promise<unknown>][] = [
        [
          'one',
          async () => {
            for (const it of att) await inf.attentionMaps(model, it.image, it.classes, SCALES);
          },
        ],
        ['batched', () => batch.attentionMapsBatch(model, att, SCALES)],
        [
          'pad',
          async () => {
            padded = await padAttention(padChunks[c]);
          },
        ],
        [
          'scales',
          async () => {
            stacked = [];
            for (const it of att) stacked.push(await scalesAttention(it));
          },
        ],
      ];
      let padded: AttentionMaps[] = [];
      let stacked: AttentionMaps[] = [];
      // pad times its own chunk of 8 in id order
      for (const [v, f] of flip ? variants.reverse() : variants) await timed('attention', v, v === 'pad' ? padChunks[c].length : att.length, f);
      const padRef = await batch.attentionMapsBatch(model, padChunks[c], SCALES);
      for (let i = 0; i < padded.length; i++) dev.pad.push([padded[i], padRef[i]]);
      for (let i = 0; i < att.length; i++) dev.scales.push([stacked[i], await inf.attentionMaps(model, att[i].image, att[i].classes, SCALES)]);
      const a = await batch.attentionMapsBatch(model, att, SCALES);
      for (let i = 0; i < att.length; i++) {
        const b = await inf.attentionMaps(model, att[i].image, att[i].classes, SCALES);
        if (!Buffer.from(a[i].maps).equals(Buffer.from(b.maps))) dev.batchedAttention++;
      }
    }
    const ev = evalChunks[c];
    if (ev) {
      const images = ev.map((it) => it.image);
      const variants: [string, () => Promise<unknown>][] = [
        [
          'one',
          async () => {
            for (const im of images) await segmentImage(model, im, classes, crf);
          },
        ],
        ['batched', () => segmentImages(model, images, classes, crf)],
      ];
      for (const [v, f] of flip ? variants.reverse() : variants) await timed('eval', v, ev.length, f);
      const p = await segmentImages(model, images, classes, crf);
      for (let i = 0; i < images.length; i++) if (!Buffer.from(p[i]).equals(Buffer.from(await segmentImage(model, images[i], classes, crf)))) dev.batchedEval++;
    }
  }
  const nAtt = attChunks.reduce((s, c) => s + c.length, 0);
  const nEval = evalChunks.reduce((s, c) => s + c.length, 0);
  // VOC's two common sizes (500x375, 375x500, three to one), attention in chunks of 8, noise images
  const vocItems = Array.from({ length: Number(opt.voc) }, (_, i) => {
    const [width, height] = i % 4 === 3 ? [375, 500] : [500, 375];
    return {
      id: String(i),
      image: { width, height, data: new Uint8Array(width * height * 3).map(() => Math.floor(rng.next() * 256)) },
      classes: [1 + (i % 20)],
    };
  });
  // chunks of 8 of one size; `batched` splits each as the stages would on this backend
  const vocChunks = chunksOf(vocItems, 8, vocItems.length, Number.POSITIVE_INFINITY);
  // warm-up: these shapes' kernels once each way, outside the timing
  await batch.attentionMapsBatch(model, vocChunks[0], SCALES, Number.POSITIVE_INFINITY);
  for (const it of vocChunks[0].slice(0, 4)) await inf.attentionMaps(model, it.image, it.classes, SCALES);
  for (let c = 0; c < vocChunks.length; c++) {
    const att = vocChunks[c];
    const variants: [string, () => Promise<unknown>][] = [
      [
        'one',
        async () => {
          for (const it of att) await inf.attentionMaps(model, it.image, it.classes, SCALES);
        },
      ],
      [
        'batched',
        async () => {
          for (const g of sizeGroups(
            att.map((it) => it.image),
            budget,
          ))
            await batch.attentionMapsBatch(
              model,
              g.map((i) => att[i]),
              SCALES,
            );
        },
      ],
      ['unbounded', () => batch.attentionMapsBatch(model, att, SCALES, Number.POSITIVE_INFINITY)],
    ];
    for (const [v, f] of c % 2 === 1 ? variants.reverse() : variants) await timed('attention at VOC sizes', v, att.length, f);
  }
  const perPass = (chunks: { image: RgbImage }[][], maxPixels = budget): string => {
    const n = chunks.reduce((s, c) => s + c.length, 0);
    const passes = chunks.reduce(
      (s, c) =>
        s +
        sizeGroups(
          c.map((it) => it.image),
          maxPixels,
        ).length,
      0,
    );
    return (n / passes).toFixed(2);
  };
  const deviation: Record<string, string> = {
    batches: `batched's images per forward pass (budget ${budget} pixels): attention ${perPass(attChunks)}, eval ${perPass(evalChunks)}, VOC sizes ${perPass(vocChunks)} (unbounded: ${perPass(vocChunks, Number.POSITIVE_INFINITY)})`,
    batched: `${dev.batchedAttention} of ${nAtt} attention items and ${dev.batchedEval} of ${nEval} eval items with other bytes than one at a time`,
    pad: mapDeviation(dev.pad),
    scales: mapDeviation(dev.scales),
  };
  process.stdout.write(`${JSON.stringify({ backend, times, deviation } satisfies Measured)}\n`);

  /** (b): the chunk's images at each scale padded (mean colour, 0 after normalising) to the largest, one pass per scale */
  async function padAttention(items: { image: RgbImage; classes: number[] }[]): Promise<AttentionMaps[]> {
    const fused = tf.tidy(() => {
      const outs: TF.Tensor4D[][] = items.map(() => []);
      for (const s of SCALES) {
        const scaled = items.map(({ image }) => {
          const x = tf.tensor4d(toNetworkInput(image), [1, image.height, image.width, 3]);
          const sh = Math.max(1, Math.floor(image.height * s)),
            sw = Math.max(1, Math.floor(image.width * s));
          return sh === image.height && sw === image.width ? x : tf.image.resizeBilinear(x, [sh, sw], false, false);
        });
        const ph = Math.max(...scaled.map((x) => x.shape[1])),
          pw = Math.max(...scaled.map((x) => x.shape[2]));
        const y = model.forward(
          tf.concat(
            scaled.map((x) =>
              tf.pad(x, [
                [0, 0],
                [0, ph - x.shape[1]],
                [0, pw - x.shape[2]],
                [0, 0],
              ]),
            ),
          ),
        ).attention;
        scaled.forEach((x, i) => {
          const [oh, ow] = model.outputSize(x.shape[1], x.shape[2]);
          outs[i].push(tf.slice(y, [i, 0, 0, 0], [1, oh, ow, y.shape[3]]));
        });
      }
      return items.map(({ image }, i) => {
        const [oh, ow] = model.outputSize(image.height, image.width);
        const resized = outs[i].map((y) => (y.shape[1] === oh && y.shape[2] === ow ? y : tf.image.resizeBilinear(y, [oh, ow], false, false)));
        const m = resized.reduce((a, b) => tf.maximum(a, b) as TF.Tensor4D);
        return tf.image.resizeBilinear(tf.squeeze(m, [0]) as TF.Tensor3D, [image.height, image.width], false, false);
      });
    });
    const out: AttentionMaps[] = [];
    for (let i = 0; i < items.length; i++) {
      const d = (await fused[i].data()) as Float32Array;
      out.push(normaliseAttention(d, items[i].image.width, items[i].image.height, items[i].classes));
    }
    tf.dispose(fused);
    return out;
  }

  /** (c): one image's three scales padded to its own size, one forward pass of 3 */
  async function scalesAttention({ image, classes: cls }: { image: RgbImage; classes: number[] }): Promise<AttentionMaps> {
    const up = tf.tidy(() => {
      const x = tf.tensor4d(toNetworkInput(image), [1, image.height, image.width, 3]);
      const scaled = SCALES.map((s) => {
        const sh = Math.max(1, Math.floor(image.height * s)),
          sw = Math.max(1, Math.floor(image.width * s));
        return sh === image.height && sw === image.width ? x : tf.image.resizeBilinear(x, [sh, sw], false, false);
      });
      const y = model.forward(
        tf.concat(
          scaled.map((t) =>
            tf.pad(t, [
              [0, 0],
              [0, image.height - t.shape[1]],
              [0, image.width - t.shape[2]],
              [0, 0],
            ]),
          ),
        ),
      ).attention;
      const [oh, ow] = model.outputSize(image.height, image.width);
      const parts = scaled.map((t, i) => {
        const [h, w] = model.outputSize(t.shape[1], t.shape[2]);
        const part = tf.slice(y, [i, 0, 0, 0], [1, h, w, y.shape[3]]);
        return h === oh && w === ow ? part : tf.image.resizeBilinear(part, [oh, ow], false, false);
      });
      const m = parts.reduce((a, b) => tf.maximum(a, b) as TF.Tensor4D);
      return tf.image.resizeBilinear(tf.squeeze(m, [0]) as TF.Tensor3D, [image.height, image.width], false, false);
    });
    const d = (await up.data()) as Float32Array;
    up.dispose();
    return normaliseAttention(d, image.width, image.height, cls);
  }

  function mapDeviation(pairs: AttentionMaps[][]): string {
    let n = 0,
      abs = 0,
      far = 0,
      items = 0,
      moved = 0;
    for (const [a, b] of pairs) {
      items++;
      let any = false;
      for (let i = 0; i < a.maps.length; i++) {
        const d = Math.abs(a.maps[i] - b.maps[i]);
        n++;
        abs += d;
        if (d > 25) far++;
        if (d > 0) any = true;
      }
      if (any) moved++;
    }
    return `attention maps: ${moved} of ${items} items differ; mean |diff| ${(abs / n).toFixed(2)} of 255, ${((100 * far) / n).toFixed(2)}% of values off by more than 25`;
  }
}
