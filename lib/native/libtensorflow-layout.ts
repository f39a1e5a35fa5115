// Turns a TensorFlow pip wheel into the directory layout of a libtensorflow release archive
// (lib/ + include/), which is what the tfjs-node binding compiles and links against. The pip wheels
// ship the same C API as libtensorflow, inside libtensorflow_cc.so.2, and they are published for
// current TensorFlow and CUDA versions, whereas the libtensorflow archives tfjs-node downloads
// stopped at 2.9.1 (CUDA 11.2).

import { execFile } from 'node:child_process';
import { access, mkdir, readdir, rename, rm, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Header trees the binding's includes reach (tensorflow/c/*.h include tsl/ and xla/tsl/ headers). */
export const HEADER_TREES = ['tensorflow', 'xla', 'tsl'] as const;

/**
 * Names the built binding and tfjs-node's install script look for, each a link to one of the two
 * libraries: the linker is given -ltensorflow; the binding then records the library's soname
 * (libtensorflow_cc.so.2); install.js checks for libtensorflow.so.<its pinned version>.
 */
export const LIBRARY_LINKS: Readonly<Record<string, string>> = {
  'libtensorflow.so': 'libtensorflow.so.2',
  'libtensorflow_cc.so.2': 'libtensorflow.so.2',
  'libtensorflow.so.2.9.1': 'libtensorflow.so.2',
  'libtensorflow_framework.so': 'libtensorflow_framework.so.2',
  'libtensorflow_framework.so.2.9.1': 'libtensorflow_framework.so.2',
};

/** Files of a finished layout, relative to its root: a layout missing one is rebuilt. */
export const LAYOUT_FILES = [
  'lib/libtensorflow.so.2',
  'lib/libtensorflow_framework.so.2',
  ...Object.keys(LIBRARY_LINKS).map((n) => `lib/${n}`),
  'include/tensorflow/c/c_api.h',
  'include/tensorflow/c/eager/c_api.h',
];

export async function layoutIsComplete(dir: string): Promise<boolean> {
  try {
    await Promise.all(LAYOUT_FILES.map((f) => access(path.join(dir, f))));
    return true;
  } catch {
    return false;
  }
}

/**
 * Extract the two libraries and the header trees of `wheel` into `dest` as lib/ and include/.
 * Built in a sibling staging folder and renamed into place, so an interrupted run leaves no
 * half-made layout behind. Needs the system's `unzip`.
 */
export async function assembleLayout(wheel: string, dest: string): Promise<void> {
  const staging = `${dest}.partial-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    const members = ['tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2', ...HEADER_TREES.map((t) => `tensorflow/include/${t}/*`)];
    try {
      await run('unzip', ['-q', '-o', wheel, ...members, '-d', staging], { maxBuffer: 1 << 24 });
    } catch (err) {
      // unzip exits 11 when a pattern matched nothing; what matters is checked below
      if ((err as { code?: unknown }).code !== 11) throw new Error(`unzip ${wheel}: ${(err as Error).message.split('\n')[0]}`);
    }
    const pkg = path.join(staging, 'tensorflow');
    for (const lib of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']) {
      if (!(await exists(path.join(pkg, lib)))) {
        throw new Error(`${wheel}: no tensorflow/${lib} inside; is it a TensorFlow >= 2.16 Linux wheel?`);
      }
    }
    const lib = path.join(staging, 'lib');
    await mkdir(lib);
    await rename(path.join(pkg, 'libtensorflow_cc.so.2'), path.join(lib, 'libtensorflow.so.2'));
    await rename(path.join(pkg, 'libtensorflow_framework.so.2'), path.join(lib, 'libtensorflow_framework.so.2'));
    for (const [name, target] of Object.entries(LIBRARY_LINKS)) await symlink(target, path.join(lib, name));
    await rename(path.join(pkg, 'include'), path.join(staging, 'include'));
    await rm(pkg, { recursive: true, force: true });
    for (const h of ['tensorflow/c/c_api.h', 'tensorflow/c/eager/c_api.h']) {
      if (!(await exists(path.join(staging, 'include', h)))) throw new Error(`${wheel}: no tensorflow/include/${h} inside`);
    }
    await rm(dest, { recursive: true, force: true });
    await rename(staging, dest);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

/** Bytes under dir (links not followed), for the summary line. */
export async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await treeBytes(p);
    else if (e.isFile()) total += (await stat(p)).size;
  }
  return total;
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}
