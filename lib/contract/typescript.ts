// Stage modules are TypeScript. When the CLI runs from its prebuilt bundle (dist/), nothing has
// taught Node to load .ts files yet: bin/pipeline.mjs says so with a flag, and tsx is registered on
// first need. Under tsx already (source fallback, child processes started with --import tsx,
// worker entries) or under vitest, the flag is absent and there is nothing to do.
const flag = '__dcspNeedsTypeScript';

export async function ensureTypeScript(): Promise<void> {
  const g = globalThis as Record<string, unknown>;
  if (!g[flag]) return;
  const { register } = await import('tsx/esm/api');
  register();
  g[flag] = false;
}
