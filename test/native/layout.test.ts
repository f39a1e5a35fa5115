// lib/native: a TensorFlow wheel (here a small zip made by the test with the same member paths)
// becomes the libtensorflow layout tfjs-node builds against; wheel names, N-API choice and the
// command line's bad input. The real build against the real wheel runs in CI (.ci/run).
import { mkdir, mkdtemp, readFile, readlink, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { assembleLayout, LAYOUT_FILES, layoutIsComplete } from '../../lib/native/libtensorflow-layout.ts';
import { napiVersion } from '../../lib/native/binding.ts';
import { parseNativeArgs } from '../../lib/native/main.ts';
import { findWheel, wheelDistribution, wheelPrefix } from '../../lib/native/wheel.ts';

const tmp = await mkdtemp(path.join(tmpdir(), 'dcsp-native-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const enc = (s: string) => new TextEncoder().encode(s);

async function fakeWheel(name: string, members: Record<string, string>): Promise<string> {
  const file = path.join(tmp, name);
  await writeFile(file, zipSync(Object.fromEntries(Object.entries(members).map(([k, v]) => [k, enc(v)]))));
  return file;
}

const WHEEL_MEMBERS = {
  'tensorflow/libtensorflow_cc.so.2': 'the C and C++ API',
  'tensorflow/libtensorflow_framework.so.2': 'the framework',
  'tensorflow/include/tensorflow/c/c_api.h': '#include "tensorflow/c/tf_status.h"',
  'tensorflow/include/tensorflow/c/eager/c_api.h': '// eager',
  'tensorflow/include/tensorflow/c/tf_status.h': '#include "xla/tsl/c/tsl_status.h"',
  'tensorflow/include/xla/tsl/c/tsl_status.h': '// tsl',
  'tensorflow/include/tsl/platform/ctstring.h': '// ctstring',
  'tensorflow/include/Eigen/Core': 'not needed by the C API',
  'tensorflow/python/ops/nn.py': 'not extracted',
};

describe('libtensorflow layout from a wheel', () => {
  it('puts the two libraries, their link names and the C API headers where tfjs-node looks', async () => {
    const wheel = await fakeWheel('tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl', WHEEL_MEMBERS);
    const dest = path.join(tmp, 'layout');
    await assembleLayout(wheel, dest);
    expect(await layoutIsComplete(dest)).toBe(true);
    for (const f of LAYOUT_FILES) expect(await readFile(path.join(dest, f), 'utf8')).not.toBe('');
    expect(await readFile(path.join(dest, 'lib/libtensorflow.so.2'), 'utf8')).toBe('the C and C++ API');
    // the binding records libtensorflow_cc.so.2 (the library's soname); the linker was given -ltensorflow
    expect(await readlink(path.join(dest, 'lib/libtensorflow_cc.so.2'))).toBe('libtensorflow.so.2');
    expect(await readlink(path.join(dest, 'lib/libtensorflow.so'))).toBe('libtensorflow.so.2');
    expect(await readlink(path.join(dest, 'lib/libtensorflow_framework.so'))).toBe('libtensorflow_framework.so.2');
    expect(await readFile(path.join(dest, 'include/xla/tsl/c/tsl_status.h'), 'utf8')).toBe('// tsl');
    expect((await readdir(path.join(dest, 'include'))).sort()).toEqual(['tensorflow', 'tsl', 'xla']);
    expect((await readdir(dest)).sort()).toEqual(['include', 'lib']);
    expect((await readdir(tmp)).filter((n) => n.includes('.partial-'))).toEqual([]);
  });

  it('refuses a wheel without the C library, naming it, and leaves nothing behind', async () => {
    const members: Record<string, string> = { ...WHEEL_MEMBERS };
    delete members['tensorflow/libtensorflow_cc.so.2'];
    const wheel = await fakeWheel('tensorflow_cpu-2.12.0-cp311-cp311-manylinux_2_17_x86_64.whl', members);
    const dest = path.join(tmp, 'old-layout');
    await expect(assembleLayout(wheel, dest)).rejects.toThrow(/no tensorflow\/libtensorflow_cc\.so\.2 inside; is it a TensorFlow >= 2\.16 Linux wheel\?/);
    expect(await layoutIsComplete(dest)).toBe(false);
    expect((await readdir(tmp)).filter((n) => n.startsWith('old-layout'))).toEqual([]);
  });
});

describe('wheels, N-API and arguments', () => {
  it('names the CPU and CUDA distributions and finds their wheels by prefix', async () => {
    expect(wheelDistribution('cpu')).toBe('tensorflow-cpu');
    expect(wheelDistribution('gpu')).toBe('tensorflow');
    expect(wheelPrefix('cpu', '2.21.0')).toBe('tensorflow_cpu-2.21.0-');
    const dir = path.join(tmp, 'wheels');
    await mkdir(dir);
    await writeFile(path.join(dir, 'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl'), '');
    await writeFile(path.join(dir, 'tensorflow-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl'), '');
    expect(path.basename((await findWheel(dir, 'cpu', '2.21.0'))!)).toBe('tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl');
    expect(path.basename((await findWheel(dir, 'gpu', '2.21.0'))!)).toBe('tensorflow-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl');
    expect(await findWheel(dir, 'cpu', '2.20.0')).toBeUndefined();
    expect(await findWheel(path.join(tmp, 'absent'), 'cpu', '2.21.0')).toBeUndefined();
  });

  it('builds for the highest N-API version both the package and this Node have', () => {
    expect(napiVersion([3, 4, 5, 6, 7, 8], 9)).toBe(8);
    expect(napiVersion([3, 4, 5, 6, 7, 8], 6)).toBe(6);
    expect(() => napiVersion([8], 6)).toThrow(/older than every N-API version/);
  });

  it('reads its command line and rejects bad input with one line', () => {
    const o = parseNativeArgs(['--gpu', '--wheel', 'a/tensorflow-2.21.0-x.whl', '--cache', 'c'], '/proj');
    expect(o).toMatchObject({ variant: 'gpu', tfVersion: '2.21.0', python: 'python3' });
    expect(o !== 'help' && path.isAbsolute(o.wheel!)).toBe(true);
    expect(parseNativeArgs([], '/proj')).toMatchObject({ variant: 'cpu', cache: path.join('/proj', '.cache', 'tfjs-native') });
    expect(parseNativeArgs(['--help'], '/proj')).toBe('help');
    expect(() => parseNativeArgs(['--tf-version', '2.21'], '/proj')).toThrow(/--tf-version: expected X\.Y\.Z, got '2\.21'/);
    expect(() => parseNativeArgs(['--wheel', 'tf.zip'], '/proj')).toThrow(/--wheel: 'tf\.zip' is not a \.whl file/);
    expect(() => parseNativeArgs(['--bogus'], '/proj')).toThrow(/bogus/);
    expect(() => parseNativeArgs(['extra'], '/proj')).toThrow(/unexpected argument 'extra'/);
  });
});
