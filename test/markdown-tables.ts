import { marked } from 'marked';
/**
 * The tables of a Markdown document as GitHub-Flavored Markdown reads them (GFM spec §4.10,
 * "Tables (extension)"): a run of lines starting with '|' whose second line is the delimiter row;
 * cells are split at pipes not escaped as '\|' (inside code spans too: GFM splits those as well),
 * the outer pipes are dropped. GFM renders a block as a table only if the header and the
 * delimiter row have the same number of cells; body rows with other counts are silently padded or
 * cut, so the checks in the tests demand equality everywhere.
 *
 * Which blocks are tables is decided by marked (a GFM parser, a dev dependency): a block of
 * '|' lines that marked reads as a paragraph did not render as a table. The cell counts that say
 * why, and the body rows that marked would silently pad or cut, come from the raw lines.
 */
export interface MarkdownTable {
  /** 1-based line of the header row. */
  line: number;
  header: string[];
  delimiter: string[];
  rows: string[][];
}

export function splitRow(line: string): string[] {
  const body = line.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '');
  const cells: string[] = [];
  let cell = '';
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\' && body[i + 1] === '|') {
      cell += '\\|';
      i++;
    } else if (body[i] === '|') {
      cells.push(cell.trim());
      cell = '';
    } else cell += body[i];
  }
  cells.push(cell.trim());
  return cells;
}

/**
 * The tables of a Markdown document, as marked (a GFM parser) reads it: one entry per `table`
 * token, with the cells of its raw lines (escaped pipes kept as written) and its 1-based line.
 */
export function markdownTables(text: string): MarkdownTable[] {
  return parse(text).tables;
}

/** marked's tables, and the pipe blocks marked did NOT take as tables (GFM renders them as text). */
function parse(text: string): { tables: MarkdownTable[]; broken: MarkdownTable[] } {
  const tables: MarkdownTable[] = [];
  const broken: MarkdownTable[] = [];
  let line = 1;
  for (const token of marked.lexer(text)) {
    const lines = token.raw.split('\n').filter((l) => l.trim() !== '');
    const block = (): MarkdownTable => ({ line, header: splitRow(lines[0]), delimiter: splitRow(lines[1] ?? ''), rows: lines.slice(2).map(splitRow) });
    if (token.type === 'table') tables.push(block());
    else if (token.type === 'paragraph' && lines.length >= 2 && lines.every((l) => l.trimStart().startsWith('|'))) broken.push(block());
    line += (token.raw.match(/\n/g) ?? []).length;
  }
  return { tables, broken };
}

/** Every problem with the tables of `text`, one line each (empty: all render as tables). */
export function tableProblems(text: string): string[] {
  const problems: string[] = [];
  const { tables, broken } = parse(text);
  for (const t of [...broken, ...tables].sort((x, y) => x.line - y.line)) {
    if (!t.delimiter.every((c) => /^:?-{3,}:?$/.test(c))) problems.push(`line ${t.line}: second row is not a delimiter row: ${t.delimiter.join(' | ')}`);
    if (t.header.length !== t.delimiter.length) problems.push(`line ${t.line}: ${t.header.length} header cells, ${t.delimiter.length} delimiter cells`);
    t.rows.forEach((r, j) => {
      if (r.length !== t.header.length) problems.push(`line ${t.line + 2 + j}: ${r.length} cells, header has ${t.header.length}`);
    });
  }
  return problems;
}
