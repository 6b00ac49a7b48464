import { spawnSync } from 'node:child_process';
import { gzipSync, zlibSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { inflateBounded } from '../../src/inflate.js';
import { ROOT } from '../support/paths.js';

/**
 * Node 20's gunzipSync and inflateSync keep about 9 KB for every stream they refuse as
 * corrupt; the vmlinuz campaign's RSS climbed from 309 MB to 1,740 MB over 494,166 bzImages
 * that way, the compressed-section campaign's to its 2 GB bound. src/inflate.ts decodes with
 * fflate instead. The growth is measured in a child process of its own, after a GC.
 */
const STREAMS = 60_000;

function growthMB(decoder: 'inflate.ts' | 'node:zlib'): number {
  const script = `
    const { gzipSync, gunzipSync } = await import('node:zlib');
    const { inflateBounded } = await import(${JSON.stringify(`${ROOT}/dist/src/inflate.js`)});
    const bad = Buffer.from(gzipSync(Buffer.alloc(20000, 7)));
    bad[bad.length - 30] ^= 0xff;
    bad[40] ^= 0x55;
    const rss = () => { global.gc(); return process.memoryUsage().rss; };
    const before = rss();
    for (let i = 0; i < ${STREAMS}; i++) {
      if (${JSON.stringify(decoder)} === 'node:zlib') { try { gunzipSync(bad); } catch {} }
      else if (inflateBounded('gzip', bad, 1 << 20).ok) throw new Error('decoded a corrupt stream');
    }
    console.log((rss() - before) / 1e6);`;
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout.trim());
}

describe('in-process inflate (src/inflate.ts)', () => {
  it(`${STREAMS} corrupt gzip streams: under 60 MB kept (node:zlib keeps over 300 MB: the leak it replaces)`, () => {
    expect(growthMB('node:zlib')).toBeGreaterThan(300);
    expect(growthMB('inflate.ts')).toBeLessThan(60);
  });

  it('stops past the limit, names corrupt data, and decodes both formats exactly', () => {
    const data = Buffer.alloc(100_000, 3);
    expect(inflateBounded('gzip', gzipSync(data), 99_999)).toEqual({ ok: false, problem: 'too-long' });
    const gz = inflateBounded('gzip', gzipSync(data), 100_000);
    const z = inflateBounded('zlib', zlibSync(data), 100_000);
    expect([gz.ok && gz.bytes.equals(data), z.ok && z.bytes.equals(data)]).toEqual([true, true]);
    expect(inflateBounded('zlib', Buffer.from('not zlib at all'), 10)).toEqual({ ok: false, problem: 'corrupt', said: expect.any(String) });
  });
});
