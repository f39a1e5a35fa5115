// Compiles the tfjs-node(-gpu) N-API binding, with our fixes to its sources (binding-patches.ts),
// against a libtensorflow layout (libtensorflow-layout.ts) and checks that it loads. The package's
// own install script would first try to download a prebuilt addon made for libtensorflow 2.9.1;
// this calls node-gyp directly with the variables node-pre-gyp would pass, for the one N-API
// version this Node loads.

import { execFile } from 'node:child_process';
import { access, lstat, readFile, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { patchBindingSources, writePatchStamp } from './binding-patches.ts';

const run = promisify(execFile);

interface BinaryConfig {
  module_name: string;
  module_path: string;
  napi_versions: number[];
}

/** Where a package is installed under root/node_modules, or undefined. */
export function packageDir(root: string, pkg: string): string | undefined {
  const require = createRequire(path.join(root, 'package.json'));
  try {
    return path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    return undefined;
  }
}

/**
 * Install `pkg@version` into root/node_modules without touching package.json or the lockfile, and
 * without its install script (which would download libtensorflow 2.9.1).
 */
export async function installPackage(root: string, pkg: string, version: string): Promise<string> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await run(npm, ['install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', `${pkg}@${version}`], { cwd: root, maxBuffer: 1 << 24 });
  const dir = packageDir(root, pkg);
  if (dir === undefined) throw new Error(`npm install ${pkg}@${version} finished but the package does not resolve from ${root}`);
  return dir;
}

/** The N-API version node-pre-gyp's loader will pick: the highest the package lists that Node has. */
export function napiVersion(supported: readonly number[], nodeNapi = Number(process.versions.napi)): number {
  const usable = supported.filter((v) => v <= nodeNapi);
  if (usable.length === 0) throw new Error(`this Node (N-API ${nodeNapi}) is older than every N-API version the binding supports (${supported.join(', ')})`);
  return Math.max(...usable);
}

/** node-gyp: the one npm was given (npm_config_node_gyp), else the copy bundled with npm. */
export function nodeGypScript(): string {
  const given = process.env.npm_config_node_gyp;
  if (given !== undefined && given !== '') return given;
  const prefix = path.dirname(path.dirname(process.execPath));
  return path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
}

/** The Node install's own headers, if present, so node-gyp need not download them. */
async function localNodeDir(): Promise<string | undefined> {
  const prefix = path.dirname(path.dirname(process.execPath));
  try {
    await access(path.join(prefix, 'include', 'node', 'node_api.h'));
    return prefix;
  } catch {
    return undefined;
  }
}

/** Point the package's deps/ (where binding.gyp and the rpath look) at the layout. */
export async function linkDeps(pkgDir: string, layoutDir: string): Promise<void> {
  const deps = path.join(pkgDir, 'deps');
  try {
    await lstat(deps);
    await rm(deps, { recursive: true, force: true });
  } catch {
    // absent: nothing to replace
  }
  await symlink(path.resolve(layoutDir), deps, 'dir');
}

/** Compile the binding; returns the path of the built tfjs_binding.node. */
export async function compileBinding(pkgDir: string, log: (l: string) => void = () => {}): Promise<string> {
  const pkgJson = JSON.parse(await readFile(path.join(pkgDir, 'package.json'), 'utf8')) as { binary: BinaryConfig };
  const napi = napiVersion(pkgJson.binary.napi_versions);
  const modulePath = path.resolve(pkgDir, pkgJson.binary.module_path.replace('{napi_build_version}', String(napi)));
  const gyp = nodeGypScript();
  try {
    await access(gyp);
  } catch {
    throw new Error(`node-gyp not found at ${gyp}; set npm_config_node_gyp to its bin/node-gyp.js`);
  }
  const args = [gyp, 'rebuild', `--module_name=${pkgJson.binary.module_name}`, `--module_path=${modulePath}`, `--napi_build_version=${napi}`];
  const nodedir = await localNodeDir();
  if (nodedir !== undefined) args.push(`--nodedir=${nodedir}`);
  const patched = await patchBindingSources(pkgDir);
  if (patched.length) log(`tfjs-native: patched the binding's sources (${patched.join(', ')}; lib/native/binding-patches.ts)`);
  log(`tfjs-native: node-gyp rebuild (N-API ${napi}) in ${pkgDir}`);
  try {
    await run(process.execPath, args, { cwd: pkgDir, maxBuffer: 1 << 26 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const tail = (e.stderr ?? '').trim().split('\n').slice(-15).join('\n');
    throw new Error(`node-gyp failed in ${pkgDir}:\n${tail || e.message}`);
  }
  const built = path.join(modulePath, `${pkgJson.binary.module_name}.node`);
  await access(built);
  await writePatchStamp(modulePath);
  return built;
}

export interface BindingCheck {
  tensorflow: string;
  gpu: boolean;
}

/**
 * Load the package in a fresh Node and run one op, so a binding that builds but does not load
 * (a missing library, a wrong soname) fails here rather than at the first training run.
 */
export async function checkBinding(root: string, pkg: string): Promise<BindingCheck> {
  const probe = [
    `const tf = require(${JSON.stringify(pkg)});`,
    'const s = tf.matMul(tf.ones([2, 2]), tf.ones([2, 2])).dataSync();',
    "if (tf.getBackend() !== 'tensorflow' || s[0] !== 2) throw new Error('matMul gave ' + s[0] + ' on ' + tf.getBackend());",
    'const b = tf.backend();',
    'console.log(JSON.stringify({ tensorflow: b.binding.TF_Version, gpu: b.isUsingGpuDevice === true }));',
  ].join('\n');
  try {
    const { stdout } = await run(process.execPath, ['-e', probe], { cwd: root, maxBuffer: 1 << 24, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as BindingCheck;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${pkg} was built but does not load: ${(e.stderr ?? e.message).trim().split('\n').slice(-3).join(' | ')}`);
  }
}
