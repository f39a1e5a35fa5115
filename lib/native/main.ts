// `npm run tfjs-native [-- --gpu] [--wheel FILE]`: a TensorFlow pip wheel -> libtensorflow layout
// -> the tfjs-node (or tfjs-node-gpu) binding compiled against it -> loaded once to prove it works.

import { readlink } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BINDING_PACKAGE, DEFAULT_TF_VERSION, obtainWheel, TFJS_NODE_VERSION, WheelUnavailableError, type NativeVariant } from './wheel.ts';
import { assembleLayout, layoutIsComplete, treeBytes } from './libtensorflow-layout.ts';
import { checkBinding, compileBinding, installPackage, linkDeps, packageDir, type BindingCheck } from './binding.ts';
import { missingPatches } from './binding-patches.ts';

export const USAGE = `usage: npm run tfjs-native -- [--gpu] [--wheel FILE] [--tf-version V] [--cache DIR] [--python EXE]

Builds @tensorflow/tfjs-node (or, with --gpu, @tensorflow/tfjs-node-gpu) against the TensorFlow
C library inside a pip wheel, so DCSP_BACKEND=tfjs-node (tfjs-node-gpu) runs on current TensorFlow.
  --gpu            the CUDA build: wheel 'tensorflow' instead of 'tensorflow-cpu'
  --wheel FILE     use this wheel instead of downloading one with pip
  --tf-version V   TensorFlow version pip downloads (default ${DEFAULT_TF_VERSION})
  --cache DIR      wheels and libtensorflow layouts (default .cache/tfjs-native in the project)
  --python EXE     the Python whose pip downloads the wheel (default python3)
Exit status: 0 built (or already built), 2 bad arguments, 3 pip cannot get the wheel, 1 other failure.`;

/** Exit status when pip cannot get the wheel (.ci/run reports it and skips the tfjs-node suite). */
export const EXIT_NO_WHEEL = 3;

export interface NativeOptions {
  variant: NativeVariant;
  wheel?: string;
  tfVersion: string;
  cache: string;
  python: string;
}

/** Parse argv; throws a one-line message for bad arguments (exit 2). */
export function parseNativeArgs(argv: string[], root: string): NativeOptions | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      gpu: { type: 'boolean', default: false },
      wheel: { type: 'string' },
      'tf-version': { type: 'string', default: DEFAULT_TF_VERSION },
      cache: { type: 'string', default: path.join(root, '.cache', 'tfjs-native') },
      python: { type: 'string', default: 'python3' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  if (positionals.length > 0) throw new Error(`unexpected argument '${positionals[0]}'`);
  if (!/^\d+\.\d+\.\d+$/.test(values['tf-version'])) throw new Error(`--tf-version: expected X.Y.Z, got '${values['tf-version']}'`);
  if (values.wheel !== undefined && !values.wheel.endsWith('.whl')) throw new Error(`--wheel: '${values.wheel}' is not a .whl file`);
  return {
    variant: values.gpu ? 'gpu' : 'cpu',
    wheel: values.wheel === undefined ? undefined : path.resolve(values.wheel),
    tfVersion: values['tf-version'],
    cache: path.resolve(values.cache),
    python: values.python,
  };
}

export interface NativeResult extends BindingCheck {
  pkg: string;
  layout: string;
  seconds: number;
  built: boolean;
}

export async function provisionNative(root: string, opts: NativeOptions, log: (l: string) => void): Promise<NativeResult> {
  const t0 = performance.now();
  const pkg = BINDING_PACKAGE[opts.variant];
  const wheel = opts.wheel ?? (await obtainWheel(path.join(opts.cache, 'wheels'), opts.variant, opts.tfVersion, opts.python, log));
  const layout = path.join(opts.cache, `libtensorflow-${path.basename(wheel, '.whl')}`);
  if (!(await layoutIsComplete(layout))) {
    log(`tfjs-native: ${path.basename(wheel)} -> ${layout}`);
    await assembleLayout(wheel, layout);
    log(`tfjs-native: layout ${((await treeBytes(layout)) / 2 ** 20).toFixed(0)} MiB`);
  }
  let pkgDir = packageDir(root, pkg);
  if (pkgDir === undefined) {
    log(`tfjs-native: npm install --no-save ${pkg}@${TFJS_NODE_VERSION}`);
    pkgDir = await installPackage(root, pkg, TFJS_NODE_VERSION);
  }
  // Already built against this layout, with our patches, and loading: nothing to do (re-runs in
  // CI and by users). A binding built before a patch existed is rebuilt.
  const linked = await readlink(path.join(pkgDir, 'deps')).catch(() => undefined);
  let built = false;
  let check: BindingCheck | undefined;
  if (linked === layout && (await missingPatches(pkgDir)).length === 0) check = await checkBinding(root, pkg).catch(() => undefined);
  if (check === undefined) {
    await linkDeps(pkgDir, layout);
    await compileBinding(pkgDir, log);
    check = await checkBinding(root, pkg);
    built = true;
  }
  return { pkg, layout, seconds: (performance.now() - t0) / 1000, built, ...check };
}

export async function main(argv: string[], root: string): Promise<number> {
  const log = (l: string) => console.error(l);
  let opts: NativeOptions | 'help';
  try {
    opts = parseNativeArgs(argv, root);
  } catch (err) {
    log(`tfjs-native: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (opts === 'help') {
    console.log(USAGE);
    return 0;
  }
  try {
    const r = await provisionNative(root, opts, log);
    const backend = opts.variant === 'gpu' ? 'tfjs-node-gpu' : 'tfjs-node';
    log(
      `tfjs-native: ${r.pkg} ${r.built ? 'built' : 'already built'} against TensorFlow ${r.tensorflow} (${r.gpu ? 'GPU' : 'CPU'}) in ${r.seconds.toFixed(0)} s; DCSP_BACKEND=${backend} or --backend ${backend} selects it`,
    );
    if (opts.variant === 'gpu' && !r.gpu) {
      log(
        'tfjs-native: WARNING: TensorFlow sees no GPU: put the CUDA and cuDNN libraries this TensorFlow wants on LD_LIBRARY_PATH (see docs/voc-and-gpus.md, "GPU users")',
      );
    }
    return 0;
  } catch (err) {
    log(`tfjs-native: ${(err as Error).message}`);
    return err instanceof WheelUnavailableError ? EXIT_NO_WHEEL : 1;
  }
}
