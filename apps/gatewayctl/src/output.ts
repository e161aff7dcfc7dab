import { stringify } from 'yaml';

/** Where a command writes, and how: colour only on a terminal without NO_COLOR. */
export interface Output {
  write(text: string): void;
  /** stderr: progress and warnings, so `-o json` output stays parseable. */
  note(text: string): void;
  colour: boolean;
}

export function processOutput(env: { NO_COLOR: string | undefined }): Output {
  return {
    write: (text) => void process.stdout.write(text),
    note: (text) => void process.stderr.write(text),
    colour: process.stdout.isTTY === true && env.NO_COLOR === undefined,
  };
}

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const CODES = { green: 32, red: 31, yellow: 33, dim: 2, bold: 1 } as const;
export type Style = keyof typeof CODES;

export function paint(out: Output, style: Style, text: string): string {
  return out.colour ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text;
}

export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** A cell: its text, and optionally a style applied after padding (so colour never shifts columns). */
export type Cell = string | number | boolean | null | undefined | { text: string; style: Style };

function cellText(c: Cell): string {
  if (c === null || c === undefined) return '-';
  if (typeof c === 'object') return c.text;
  return String(c);
}

/** Columns padded to their widest cell, headers in capitals, two spaces apart (plain text, as kubectl prints). */
export function table(out: Output, headers: string[], rows: Cell[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => cellText(r[i]).length)));
  const line = (cells: Cell[], header: boolean) =>
    cells
      .map((c, i) => {
        const text = cellText(c);
        const padded = i === cells.length - 1 ? text : text.padEnd(widths[i]!);
        if (header) return paint(out, 'bold', padded);
        return typeof c === 'object' && c !== null ? paint(out, c.style, padded) : padded;
      })
      .join('  ')
      .trimEnd();
  return [line(headers, true), ...rows.map((r) => line(r, false))].join('\n') + '\n';
}
