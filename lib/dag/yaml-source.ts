// A parsed YAML document that can say where a key or value came from, so every validation error
// names file:line:col.
import { LineCounter, isMap, isScalar, parseDocument, visit, type Document, type Node } from 'yaml';
import { InputError } from '../errors.ts';

export type PathSegment = string | number;

export class YamlSource {
  private constructor(
    readonly file: string,
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  static parse(file: string, text: string): YamlSource {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
    const err = doc.errors[0];
    if (err) {
      const offset = err.pos[0];
      const { line, col } = lines.linePos(offset);
      if (err.code === 'DUPLICATE_KEY') {
        const key = /^[\w.-]+/.exec(text.slice(offset))?.[0] ?? '?';
        throw new InputError(`${file}:${line}:${col}: duplicate key '${key}' (a stage, profile or param may appear only once in a map)`);
      }
      const first = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      throw new InputError(`${file}:${line}:${col}: YAML syntax error: ${first}`);
    }
    return new YamlSource(file, doc, lines);
  }

  /**
   * The document as plain data. An alias bomb (aliases of aliases, billions of copies from a few
   * lines) is refused by the YAML library's alias-count guard; that is bad input like any other.
   */
  toJS(): unknown {
    try {
      return this.doc.toJS();
    } catch (err) {
      const { line, col } = this.lines.linePos(this.firstAlias() ?? 0);
      const why = /alias count/i.test((err as Error).message)
        ? 'YAML aliases expand to too many copies (an alias bomb?); write the repeated values out or alias only small maps'
        : `cannot read the YAML document: ${(err as Error).message.split('\n')[0]}`;
      throw new InputError(`${this.file}:${line}:${col}: ${why}`);
    }
  }

  /** Offset of the document's first alias (`*name`), if it has one. */
  private firstAlias(): number | undefined {
    let offset: number | undefined;
    visit(this.doc, {
      Alias: (_key, node) => {
        offset = node.range?.[0];
        return visit.BREAK;
      },
    });
    return offset;
  }

  /** "file:line:col" of the deepest node along `path` that exists (the key itself when `key`). */
  where(path: readonly PathSegment[], key = true): string {
    let node: Node | null | undefined = this.doc.contents as Node | null;
    let offset = node?.range?.[0] ?? 0;
    for (const seg of path) {
      if (!isMap(node)) break;
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const keyNode = pair.key as Node;
      const valueNode = pair.value as Node | null;
      offset = (key || !valueNode?.range ? keyNode.range?.[0] : valueNode.range[0]) ?? offset;
      node = valueNode;
    }
    const { line, col } = this.lines.linePos(offset);
    return `${this.file}:${line}:${col}`;
  }

  has(path: readonly PathSegment[]): boolean {
    return this.doc.hasIn(path);
  }
}
