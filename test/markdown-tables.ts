/**
 * The tables of a Markdown document as GitHub-Flavored Markdown reads them (GFM spec §4.10,
 * "Tables (extension)"): a run of lines starting with '|' whose second line is the delimiter row;
 * cells are split at pipes not escaped as '\|' (inside code spans too: GFM splits those as well),
 * the outer pipes are dropped. GFM renders a block as a table only if the header and the
 * delimiter row have the same number of cells; body rows with other counts are silently padded or
 * cut, so the checks in the tests demand equality everywhere.
 *
 * A small reader of our own because no Markdown parser is installed (marked or markdown-it would
 * do this as a dev dependency).
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

export function markdownTables(text: string): MarkdownTable[] {
  const lines = text.split('\n');
  const tables: MarkdownTable[] = [];
  let inFence = false;
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*(```|~~~)/.test(lines[i])) inFence = !inFence;
    if (inFence || !lines[i].trimStart().startsWith('|')) continue;
    const start = i;
    while (i < lines.length && lines[i].trimStart().startsWith('|')) i++;
    const block = lines.slice(start, i);
    if (block.length < 2) continue;
    tables.push({ line: start + 1, header: splitRow(block[0]), delimiter: splitRow(block[1]), rows: block.slice(2).map(splitRow) });
  }
  return tables;
}

/** Every problem with the tables of `text`, one line each (empty: all render as tables). */
export function tableProblems(text: string): string[] {
  const problems: string[] = [];
  for (const t of markdownTables(text)) {
    if (!t.delimiter.every((c) => /^:?-{3,}:?$/.test(c))) problems.push(`line ${t.line}: second row is not a delimiter row: ${t.delimiter.join(' | ')}`);
    if (t.header.length !== t.delimiter.length) problems.push(`line ${t.line}: ${t.header.length} header cells, ${t.delimiter.length} delimiter cells`);
    t.rows.forEach((r, j) => {
      if (r.length !== t.header.length) problems.push(`line ${t.line + 2 + j}: ${r.length} cells, header has ${t.header.length}`);
    });
  }
  return problems;
}
