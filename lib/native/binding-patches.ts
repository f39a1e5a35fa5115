// Fixes applied to the tfjs-node binding's C++ sources before they are compiled, the stamp that
// says a built binding has them, and the check the CLI makes of an installed one.
//
// The binding keeps one process-wide std::set of op attribute names (binding/tfjs_backend.cc,
// ATTR_NAME_SET) and inserts into it on every op call, without a lock. Each worker thread gets its
// own TFJSBackend (N-API instance data), but that set is shared by all of them, and per-item stages
// run ops on several worker threads of one process: two threads inserting the same new name at once
// corrupt the tree. Seen here as a run hanging (both workers spinning in AssignOpAttr for minutes,
// no item done) and, under test/tensor/native-threads.test.ts's stress, as aborts and segfaults. The
// patch takes a mutex around the insert; the pointer it returns stays valid afterwards, because
// std::set never moves or frees its nodes.

import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { BINDING_PACKAGE } from './wheel.ts';

interface Edit {
  find: string;
  replace: string;
}

interface BindingPatch {
  /** recorded in the stamp; a binding is usable only if its stamp lists every patch */
  id: string;
  file: string;
  edits: Edit[];
}

const MARK = '// dcsp-pipeline patch';

export const BINDING_PATCHES: readonly BindingPatch[] = [
  {
    id: 'attr-name-set-lock',
    file: 'binding/tfjs_backend.cc',
    edits: [
      { find: '#include "utils.h"\n', replace: `#include "utils.h"\n#include <mutex>  ${MARK} attr-name-set-lock\n` },
      {
        find: 'static std::set<std::string> ATTR_NAME_SET;\n',
        replace: 'static std::set<std::string> ATTR_NAME_SET;\nstatic std::mutex ATTR_NAME_SET_LOCK;  // every worker thread inserts into the one set\n',
      },
      {
        find: '  const char *attr_name =\n      ATTR_NAME_SET.insert(attr_name_string.c_str()).first->c_str();\n',
        replace:
          '  const char *attr_name;\n  {\n    std::lock_guard<std::mutex> hold(ATTR_NAME_SET_LOCK);\n    attr_name = ATTR_NAME_SET.insert(attr_name_string).first->c_str();\n  }\n',
      },
    ],
  },
];

/** Next to the built tfjs_binding.node: which patches it was compiled with. */
export const PATCH_STAMP = 'dcsp-binding-patches.json';

/**
 * Apply every patch to the package's sources (a patch already there is left alone). A source that
 * no longer has the text a patch expects is an error naming it: compiling without the fix would
 * bring the race back silently.
 */
export async function patchBindingSources(pkgDir: string): Promise<string[]> {
  const applied: string[] = [];
  for (const patch of BINDING_PATCHES) {
    const file = path.join(pkgDir, patch.file);
    let text = await readFile(file, 'utf8');
    if (text.includes(`${MARK} ${patch.id}`)) continue;
    for (const edit of patch.edits) {
      const at = text.indexOf(edit.find);
      if (at < 0 || text.indexOf(edit.find, at + 1) >= 0) {
        throw new Error(
          `${file}: patch ${patch.id} expects ${JSON.stringify(edit.find.trim().split('\n')[0])} exactly once; this tfjs-node version's sources differ, so the patch needs redoing`,
        );
      }
      text = text.slice(0, at) + edit.replace + text.slice(at + edit.find.length);
    }
    await writeFile(file, text);
    applied.push(patch.id);
  }
  return applied;
}

export async function writePatchStamp(moduleDir: string): Promise<void> {
  await writeFile(path.join(moduleDir, PATCH_STAMP), `${JSON.stringify({ patches: BINDING_PATCHES.map((p) => p.id) })}\n`);
}

/**
 * What the package's built binding lacks, or null when it has no build. The binding loaded is the
 * one node-pre-gyp finds under lib/napi-v<N>/ (one folder in practice; with several, the best is
 * taken); a build without a stamp was made by someone else (the package's own prebuilt download,
 * or an older build here).
 */
async function lackingOfBuild(pkgDir: string): Promise<string[] | null> {
  const lib = path.join(pkgDir, 'lib');
  let best: string[] | null = null;
  for (const dir of (await readdir(lib).catch(() => [] as string[])).filter((d) => /^napi-v\d+$/.test(d))) {
    if (!existsSync(path.join(lib, dir, 'tfjs_binding.node'))) continue;
    const stamp = await readFile(path.join(lib, dir, PATCH_STAMP), 'utf8').catch(() => null);
    const has = stamp === null ? [] : ((JSON.parse(stamp) as { patches?: string[] }).patches ?? []);
    const lacking = BINDING_PATCHES.map((p) => p.id).filter((id) => !has.includes(id));
    if (best === null || lacking.length < best.length) best = lacking;
  }
  return best;
}

/** The patches the package's built binding lacks: [] when it has them all, every one when it has no build. */
export async function missingPatches(pkgDir: string): Promise<string[]> {
  return (await lackingOfBuild(pkgDir)) ?? BINDING_PATCHES.map((p) => p.id);
}

/**
 * One line per installed tfjs-node package whose built binding lacks a patch, for the CLI to refuse
 * a computing command with before any stage starts: unpatched, per-item stages can crash or hang,
 * and worse, a corrupted name set can hand an op the wrong attribute name, which TensorFlow ignores.
 * The check sits here, outside every stage's code identity, so it changes no cache key.
 */
export async function unpatchedBindings(root: string): Promise<string[]> {
  const require = createRequire(path.join(root, 'package.json'));
  const out: string[] = [];
  for (const [variant, pkg] of Object.entries(BINDING_PACKAGE)) {
    let dir: string;
    try {
      dir = path.dirname(require.resolve(`${pkg}/package.json`));
    } catch {
      continue;
    }
    const lacking = await lackingOfBuild(dir);
    if (lacking?.length)
      out.push(
        `${pkg}'s binding (${path.join(dir, 'lib')}) was built without our fix for its thread race (${lacking.join(', ')}); run: npm run tfjs-native${variant === 'gpu' ? ' -- --gpu' : ''}, or choose --backend wasm`,
      );
  }
  return out;
}
