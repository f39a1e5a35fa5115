// zod's issues turned into one-line messages a user can act on.
import type { z } from 'zod';

/** `input` is the value that was parsed, used to say what was found where zod only says what was expected. */
export function describeIssue(issue: z.core.$ZodIssue, input?: unknown): { path: (string | number)[]; message: string } {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  switch (issue.code) {
    case 'unrecognized_keys':
      return { path: [...path, issue.keys[0]], message: `unknown key '${issue.keys.join("', '")}'` };
    case 'invalid_type': {
      const got = typeName(valueAt(input, path));
      return { path, message: `expected ${issue.expected}, got ${got}` };
    }
    case 'invalid_value':
      return { path, message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` };
    default:
      return { path, message: issue.message };
  }
}

function valueAt(root: unknown, path: (string | number)[]): unknown {
  let v = root;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined;
  return v;
}

function typeName(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'object') return 'a map';
  return `${typeof v} ${String(v)}`;
}

export function dotted(path: readonly (string | number)[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : p))
    .join('.')
    .replace(/\.\[/g, '[');
}
