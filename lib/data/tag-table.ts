// The text files of a folder dataset (lib/data/sources/folder.ts), parsed and checked: the class
// list (classes.txt, or the tags CSV's header), the tags CSV (an image id, then the names of the
// classes in it) and a split CSV (an image id, then train, val or test). Every problem is an
// InputError naming the file and its row, so a bad line is found without reading code.
import { InputError } from '../errors.ts';
import type { SplitName } from './dataset-index.ts';

/** a class name or id as written: letters, digits and . _ - + (no commas, quotes or spaces inside) */
const NAME = /^[\p{L}\p{N}._+-]+$/u;

export interface TagRow {
  id: string;
  /** sorted unique class ids (1 = the first object class) */
  labels: number[];
  /** 1-based line number in the tags file */
  row: number;
}

export interface TagTable {
  /** object class names in id order (background not included) */
  classes: string[];
  rows: TagRow[];
}

/** Non-blank lines with their 1-based numbers, fields split on commas and trimmed. */
function csvLines(text: string): { row: number; fields: string[] }[] {
  const out: { row: number; fields: string[] }[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    out.push({ row: i + 1, fields: line.split(',').map((f) => f.trim()) });
  });
  return out;
}

function checkName(file: string, row: number, name: string, what: string): void {
  if (!NAME.test(name)) throw new InputError(`${file}:${row}: ${what} '${name}' is not a plain name (letters, digits, . _ - +)`);
}

/** The object classes, in id order, from their own list: one name a line; a first line 'background' is skipped. */
export function parseClassList(text: string, file: string): string[] {
  const lines = csvLines(text);
  if (lines[0]?.fields.join(',').toLowerCase() === 'background') lines.shift();
  const names = lines.map(({ row, fields }) => {
    if (fields.length !== 1) throw new InputError(`${file}:${row}: one class name a line, found ${fields.length} fields`);
    return fields[0];
  });
  return checkClassNames(
    names,
    file,
    lines.map((l) => l.row),
  );
}

function checkClassNames(names: string[], file: string, rows: number[]): string[] {
  if (names.length === 0) throw new InputError(`${file}: no class names`);
  const seen = new Map<string, number>();
  names.forEach((n, k) => {
    checkName(file, rows[k], n, 'class name');
    const key = n.toLowerCase();
    if (key === 'background') throw new InputError(`${file}:${rows[k]}: 'background' is class 0 already; list only the object classes`);
    const first = seen.get(key);
    if (first !== undefined) throw new InputError(`${file}:${rows[k]}: class '${n}' is listed twice (first at row ${first})`);
    seen.set(key, rows[k]);
  });
  return names;
}

/**
 * The tags CSV: each row an image id, then the names of the classes it shows (none is allowed). The
 * class list is `classes` when given (then the file has no header), else the header row: a name for
 * the id column, then every class name in id order.
 */
export function parseTags(text: string, file: string, classes?: readonly string[]): TagTable {
  const lines = csvLines(text);
  let list: string[];
  if (classes) list = [...classes];
  else {
    const header = lines.shift();
    if (!header) throw new InputError(`${file}: empty (its header row lists the classes: id,<class>,<class>,...)`);
    list = checkClassNames(
      header.fields.slice(1),
      file,
      header.fields.slice(1).map(() => header.row),
    );
  }
  const idOf = new Map(list.map((n, k) => [n.toLowerCase(), k + 1]));
  const firstRow = new Map<string, number>();
  const rows = lines.map(({ row, fields }): TagRow => {
    const [id, ...names] = fields;
    checkName(file, row, id, 'image id');
    const before = firstRow.get(id);
    if (before !== undefined) throw new InputError(`${file}:${row}: duplicate image id '${id}' (first at row ${before})`);
    firstRow.set(id, row);
    const labels = new Set<number>();
    for (const name of names) {
      if (name === '') continue;
      const c = idOf.get(name.toLowerCase());
      if (c === undefined) throw new InputError(`${file}:${row}: unknown class '${name}' (classes: ${list.join(', ')})`);
      labels.add(c);
    }
    return { id, labels: [...labels].sort((a, b) => a - b), row };
  });
  if (rows.length === 0) throw new InputError(`${file}: no tagged images`);
  return { classes: list, rows };
}

const SPLITS: readonly SplitName[] = ['train', 'val', 'test'];

/** A split CSV: each row an image id and its split (train, val or test); a header row `id,split` is allowed. */
export function parseSplit(text: string, file: string): Map<string, { split: SplitName; row: number }> {
  const out = new Map<string, { split: SplitName; row: number }>();
  const lines = csvLines(text);
  if (lines[0] && lines[0].fields[1]?.toLowerCase() === 'split') lines.shift();
  for (const { row, fields } of lines) {
    if (fields.length !== 2) throw new InputError(`${file}:${row}: expected 'id,split', found ${fields.length} fields`);
    const [id, split] = fields;
    const s = SPLITS.find((x) => x === split.toLowerCase());
    if (!s) throw new InputError(`${file}:${row}: split '${split}' is not train, val or test`);
    const before = out.get(id);
    if (before) throw new InputError(`${file}:${row}: duplicate image id '${id}' (first at row ${before.row})`);
    out.set(id, { split: s, row });
  }
  return out;
}
