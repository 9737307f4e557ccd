import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';

/**
 * report.html: the same document as REPORT.md, self-contained (no network, one file): the
 * Markdown the report writes (headings, paragraphs, GFM tables with '\|' escapes, bold, code
 * spans, list items, images) turned into HTML; PNG pictures embedded as data: URLs; plots drawn
 * by vega from their specs (compiled from vega-lite here) with hover tooltips, vega's browser
 * build inlined once. Only this project's own Markdown subset is read: it is generated, not
 * written by people.
 */

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Inline Markdown of a cell or paragraph: code spans, bold, '\|'. */
function inline(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part) => (part.startsWith('`') && part.endsWith('`') && part.length > 1 ? `<code>${esc(part.slice(1, -1).replace(/\\\|/g, '|'))}</code>` : esc(part.replace(/\\\|/g, '|')).replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')))
    .join('');
}

/** Cells of a GFM table row: split at pipes not escaped as '\|', outer pipes dropped. */
export function tableCells(line: string): string[] {
  const body = line.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '');
  return body.split(/(?<!\\)\|/).map((c) => c.trim());
}

export interface HtmlPicture {
  /** The picture's file relative to the suite folder, as in the Markdown image. */
  file: string;
  /** PNG bytes to embed, or a vega-lite spec to draw. */
  png?: Buffer;
  spec?: TopLevelSpec;
}

/** The HTML document of a report's Markdown; `pictures` by file name. */
export async function reportHtml(markdown: string, pictures: ReadonlyMap<string, HtmlPicture>): Promise<string> {
  const { compile } = await import('vega-lite');
  const body: string[] = [];
  const specs: { id: string; spec: unknown }[] = [];
  const lines = markdown.split('\n');
  let list = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (list && !line.startsWith('- ')) {
      body.push('</ul>');
      list = false;
    }
    const heading = /^(#{1,6}) (.*)$/.exec(line);
    if (heading) body.push(`<h${heading[1].length}>${inline(heading[2])}</h${heading[1].length}>`);
    else if (line.startsWith('|') && lines[i + 1]?.startsWith('|')) {
      const header = tableCells(line);
      const rows: string[][] = [];
      i += 2;
      while (i < lines.length && lines[i].startsWith('|')) rows.push(tableCells(lines[i++]));
      i--;
      body.push('<table>', `<thead><tr>${header.map((h) => `<th>${inline(h)}</th>`).join('')}</tr></thead>`, '<tbody>');
      for (const r of rows) body.push(`<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`);
      body.push('</tbody>', '</table>');
    } else if (line.startsWith('![')) {
      const m = /^!\[(.*)\]\((.*)\)$/.exec(line);
      const pic = m ? pictures.get(m[2]) : undefined;
      if (m && pic?.spec) {
        const id = `plot${specs.length}`;
        specs.push({ id, spec: compile(pic.spec).spec });
        body.push(`<figure><div id="${id}" class="plot" role="img" aria-label="${esc(m[1])}"></div></figure>`);
      } else if (m && pic?.png) {
        body.push(`<figure><img alt="${esc(m[1])}" src="data:image/png;base64,${pic.png.toString('base64')}"></figure>`);
      } else if (m) body.push(`<p>(picture ${esc(m[2])} not embedded)</p>`);
    } else if (line.startsWith('- ')) {
      if (!list) body.push('<ul>');
      list = true;
      body.push(`<li>${inline(line.slice(2))}</li>`);
    } else if (line.trim() !== '') body.push(`<p>${inline(line)}</p>`);
  }
  if (list) body.push('</ul>');
  const title = /^# (.*)$/m.exec(markdown)?.[1] ?? 'Benchmark report';
  const vega = specs.length > 0 ? readFileSync(join(createRequire(import.meta.url).resolve('vega'), '..', '..', 'build', 'vega.min.js'), 'utf8') : '';
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${esc(title)}</title>`,
    '<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}',
    'table{border-collapse:collapse;margin:1em 0;font-size:90%}th,td{border:1px solid #ccc;padding:3px 6px;text-align:left}',
    'th{background:#f3f3f3}tbody tr:nth-child(even){background:#fafafa}figure{margin:1em 0}img{max-width:100%}code{background:#f3f3f3;padding:0 3px}</style>',
    '</head><body>',
    ...body,
    ...(specs.length > 0
      ? [
          `<script>${vega.replace(/<\/script/gi, '<\\/script')}</script>`,
          `<script>const SPECS = ${JSON.stringify(specs).replace(/</g, '\\u003c')};`,
          "for (const { id, spec } of SPECS) new vega.View(vega.parse(spec), { renderer: 'svg', container: '#' + id, hover: true }).runAsync();</script>",
        ]
      : []),
    '</body></html>',
    '',
  ].join('\n');
}
