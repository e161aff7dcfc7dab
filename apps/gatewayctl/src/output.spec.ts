// Tables and colour: columns line up with and without colour, and colour is only ever
// added when the output says so (a terminal without NO_COLOR).
import { describe, expect, it } from 'vitest';
import { paint, table, type Output } from './output.js';

const output = (colour: boolean): Output => ({ write: () => undefined, note: () => undefined, colour });
const strip = (s: string) => s.replace(/\u001b\[\d+m/g, '');

describe('table', () => {
  const rows = [
    ['orders', 12, { text: 'connected', style: 'green' as const }, null],
    ['a-much-longer-name', 3, { text: 'stale', style: 'yellow' as const }, 'x'],
  ];

  it('pads every column to its widest cell, "-" for no value, no escape codes without colour', () => {
    const text = table(output(false), ['NAME', 'N', 'STATE', 'NACK'], rows);
    expect(text).toBe(
      ['NAME                N   STATE      NACK', 'orders              12  connected  -', 'a-much-longer-name  3   stale      x', ''].join('\n'),
    );
  });

  it('with colour: the same columns once the escape codes are taken out', () => {
    const coloured = table(output(true), ['NAME', 'N', 'STATE', 'NACK'], rows);
    expect(coloured).toContain('\u001b[32mconnected\u001b[0m');
    expect(strip(coloured)).toBe(table(output(false), ['NAME', 'N', 'STATE', 'NACK'], rows));
  });

  it('paint is the identity without colour', () => {
    expect(paint(output(false), 'red', 'x')).toBe('x');
    expect(paint(output(true), 'red', 'x')).toBe('\u001b[31mx\u001b[0m');
  });
});
