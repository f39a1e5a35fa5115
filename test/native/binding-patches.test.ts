// The fixes npm run tfjs-native compiles into the tfjs-node binding: applied once, refused loudly
// when the sources no longer match, and the stamp that tells a patched build from any other.
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BINDING_PATCHES, missingPatches, patchBindingSources, unpatchedBindings, writePatchStamp } from '../../lib/native/binding-patches.ts';

// the lines of tfjs-node 4.22.0's binding/tfjs_backend.cc the patch touches, with filler around them
const UPSTREAM = [
  '#include "tfe_auto_op.h"',
  '#include "utils.h"',
  '',
  'namespace tfnodejs {',
  '',
  '// Used to hold strings beyond the lifetime of a JS call.',
  'static std::set<std::string> ATTR_NAME_SET;',
  '',
  'void AssignOpAttr(napi_env env, TFE_Op *tfe_op, napi_value attr_value) {',
  '  const char *attr_name =',
  '      ATTR_NAME_SET.insert(attr_name_string.c_str()).first->c_str();',
  '}',
  '}',
  '',
].join('\n');

async function fakePackage(source: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dcsp-patch-'));
  await mkdir(path.join(dir, 'binding'));
  await writeFile(path.join(dir, 'binding', 'tfjs_backend.cc'), source);
  return dir;
}

describe('binding patches', () => {
  it('lock the attribute-name set once, and leave a patched source alone', async () => {
    const dir = await fakePackage(UPSTREAM);
    expect(await patchBindingSources(dir)).toEqual(['attr-name-set-lock']);
    const once = await readFile(path.join(dir, 'binding', 'tfjs_backend.cc'), 'utf8');
    expect(once).toContain('#include <mutex>');
    expect(once).toMatch(/std::lock_guard<std::mutex> hold\(ATTR_NAME_SET_LOCK\);\n\s+attr_name = ATTR_NAME_SET\.insert\(attr_name_string\)/);
    // the include lands outside the namespace, the lock beside the set it guards
    expect(once.indexOf('#include <mutex>')).toBeLessThan(once.indexOf('namespace tfnodejs'));
    expect(once.indexOf('ATTR_NAME_SET_LOCK;')).toBeGreaterThan(once.indexOf('namespace tfnodejs'));
    expect(await patchBindingSources(dir)).toEqual([]);
    expect(await readFile(path.join(dir, 'binding', 'tfjs_backend.cc'), 'utf8')).toBe(once);
  });

  it('refuse sources that changed, naming the file and the line expected', async () => {
    const dir = await fakePackage(UPSTREAM.replace('static std::set<std::string> ATTR_NAME_SET;', 'static absl::flat_hash_set<std::string> ATTR_NAMES;'));
    await expect(patchBindingSources(dir)).rejects.toThrow(
      /tfjs_backend\.cc: patch attr-name-set-lock expects "static std::set<std::string> ATTR_NAME_SET;" exactly once/,
    );
    // nothing half-applied
    expect(await readFile(path.join(dir, 'binding', 'tfjs_backend.cc'), 'utf8')).not.toContain('<mutex>');
  });

  it('a build is usable only with a stamp listing every patch', async () => {
    const dir = await fakePackage(UPSTREAM);
    const all = BINDING_PATCHES.map((p) => p.id);
    expect(await missingPatches(dir)).toEqual(all); // no build at all
    const build = path.join(dir, 'lib', 'napi-v8');
    await mkdir(build, { recursive: true });
    await writeFile(path.join(build, 'tfjs_binding.node'), 'built elsewhere');
    expect(await missingPatches(dir)).toEqual(all);
    await writePatchStamp(build);
    expect(await missingPatches(dir)).toEqual([]);
  });

  it('the CLI check names each installed binding built without them, and only those', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'dcsp-project-'));
    await writeFile(path.join(root, 'package.json'), '{"name": "p", "type": "module"}');
    const pkg = path.join(root, 'node_modules', '@tensorflow', 'tfjs-node');
    await mkdir(path.join(pkg, 'lib'), { recursive: true });
    await writeFile(path.join(pkg, 'package.json'), '{"name": "@tensorflow/tfjs-node", "version": "4.22.0"}');
    expect(await unpatchedBindings(root)).toEqual([]); // installed, never built: loading it fails on its own
    const build = path.join(pkg, 'lib', 'napi-v8');
    await mkdir(build);
    await writeFile(path.join(build, 'tfjs_binding.node'), 'built by its own install script');
    const [line, ...more] = await unpatchedBindings(root);
    expect(more).toEqual([]);
    expect(line).toMatch(
      /^@tensorflow\/tfjs-node's binding \(.*lib\) was built without our fix for its thread race \(attr-name-set-lock\); run: npm run tfjs-native, or choose --backend wasm$/,
    );
    await writePatchStamp(build);
    expect(await unpatchedBindings(root)).toEqual([]);
  });
});
