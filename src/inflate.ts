import { createRequire } from 'node:module';

// Loaded on first use: most kernels compress nothing, and every check pays for its imports.
let fflate: typeof import('fflate') | undefined;
const load = () => (fflate ??= createRequire(import.meta.url)('fflate') as typeof import('fflate'));

export type InflateOutcome =
  | { readonly ok: true; readonly bytes: Buffer }
  /** `too-long`: the output passed `limit`; `corrupt`: the decoder's message. */
  | { readonly ok: false; readonly problem: 'too-long' }
  | { readonly ok: false; readonly problem: 'corrupt'; readonly said: string };

/** A private signal out of fflate's data callback: the stream went past the limit. */
class TooLong {}

/**
 * A zlib (SHF_COMPRESSED sections) or gzip (kernel images) stream, decoded in this process
 * chunk by chunk and stopped past `limit` bytes. fflate rather than node:zlib: Node 20's
 * inflateSync and gunzipSync keep about 9 KB for every stream they refuse as corrupt
 * (100,000 corrupt gzip streams: 51 → 1022 MB; fflate 50 → 88 MB), which fuzz campaigns ran
 * into twice (compressed sections at 2 GB, bzImage payloads at 1.7 GB). fflate checks no
 * trailer checksum: callers that need one check it.
 */
export function inflateBounded(format: 'zlib' | 'gzip', payload: Uint8Array, limit: number): InflateOutcome {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const take = (chunk: Uint8Array) => {
    total += chunk.length;
    if (total > limit) throw new TooLong();
    chunks.push(chunk);
  };
  try {
    const stream = format === 'zlib' ? new (load().Unzlib)(take) : new (load().Gunzip)(take);
    stream.push(payload, true);
  } catch (err) {
    if (err instanceof TooLong) return { ok: false, problem: 'too-long' };
    return { ok: false, problem: 'corrupt', said: (err as Error).message };
  }
  return { ok: true, bytes: Buffer.concat(chunks, total) };
}
