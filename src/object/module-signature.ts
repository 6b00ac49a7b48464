import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';
import type { ByteSource } from '../elf/source.js';
import type { ModuleSignature } from '../facts/module.js';
import { pkcs7Signers } from '../x509/pkcs7.js';

const MARKER = '~Module signature appended~\n';
/** struct module_signature (include/linux/module_signature.h): algo, hash, id_type, signer_len, key_id_len, pad[3], be32 sig_len. */
const INFO_SIZE = 12;
const PKEY_ID_PKCS7 = 2;

/** The signature appended to a module file, or undefined when it carries none. */
export function readModuleSignature(source: ByteSource, file: string): ModuleSignature | undefined {
  const size = source.size;
  if (size < MARKER.length + INFO_SIZE) return undefined;
  const tail = source.read(size - MARKER.length - INFO_SIZE, MARKER.length + INFO_SIZE, 'module signature');
  if (tail.toString('latin1', INFO_SIZE) !== MARKER) return undefined;
  const idType = tail[2]!;
  const sigLen = tail.readUInt32BE(8);
  const signedEnd = size - MARKER.length - INFO_SIZE - sigLen;
  if (idType !== PKEY_ID_PKCS7) return { readable: false, problem: `signature id type ${idType}, not PKCS#7 (${PKEY_ID_PKCS7})` };
  if (signedEnd < 0) return { readable: false, problem: `signature length ${sigLen} is more than the file holds` };
  try {
    const der = source.read(signedEnd, sigLen, 'module signature');
    const digests = new Map<string, string>();
    const content = {
      digest(algorithm: string): string {
        let d = digests.get(algorithm);
        if (d === undefined) {
          const h = createHash(algorithm);
          // In 1 MiB steps: a module is read once per digest, never whole into one buffer.
          for (let at = 0; at < signedEnd; at += 1 << 20) h.update(source.read(at, Math.min(1 << 20, signedEnd - at), 'signed module bytes'));
          d = h.digest('hex');
          digests.set(algorithm, d);
        }
        return d;
      },
    };
    return { readable: true, bytes: sigLen, signers: pkcs7Signers(der, content, file) };
  } catch (err) {
    if (err instanceof InputError) return { readable: false, problem: err.problem };
    throw err;
  }
}
