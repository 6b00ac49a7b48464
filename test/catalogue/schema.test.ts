import { describe, expect, it } from 'vitest';
import { bool, int, list, object, oneOf, record, str, validate } from '../../src/schema.js';

const entry = object({ name: str(/^[a-z]+$/), size: int(0, 64), on: bool, kind: oneOf(['a', 'b']), tags: list(str(), 1), counts: record(int(1)) }, ['tags']);

describe('schema validation', () => {
  it('accepts a value that fits, optional fields absent', () => {
    expect(validate({ name: 'x', size: 8, on: true, kind: 'a', counts: { r: 2 } }, entry)).toEqual([]);
  });

  it('reports every violation with its path', () => {
    expect(validate({ name: 'X', size: 99, on: 'yes', kind: 'c', tags: [], counts: { r: 0 }, extra: 1 }, entry)).toEqual([
      'extra: unknown field (known: name, size, on, kind, tags, counts)',
      'name: "X" does not match /^[a-z]+$/',
      'size: 99 is above 64',
      'on: expected true or false, got string "yes"',
      'kind: expected one of a, b, got string "c"',
      'tags: needs at least 1 item(s)',
      'counts.r: 0 is below 1',
    ]);
  });

  it('rejects non-objects, empty strings and fractional numbers', () => {
    expect(validate([], entry)).toEqual(['(top level): expected an object, got an array']);
    expect(validate('', str())).toEqual(['(top level): expected a non-empty string, got string ""']);
    expect(validate(1.5, int())).toEqual(['(top level): expected an integer, got number 1.5']);
    expect(validate({ name: 'x' }, entry)).toEqual(['size: missing', 'on: missing', 'kind: missing', 'counts: missing']);
  });
});
