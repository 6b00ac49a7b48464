import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { certificateList } from '../../src/x509/certificates.js';
import { pkcs7Signers } from '../../src/x509/pkcs7.js';
import { fixture, scratchFile, scratchPath, type FuzzTarget } from '../target.js';

const FILE = 'fuzzed.ko';
const MARKER = '~Module signature appended~\n';
/** The bytes the fuzzed signature claims to sign (its digest is what the reader compares). */
const CONTENT = readFileSync(fixture('frozen', 'rng_mod.ko'));

/** The PKCS#7 blob appended to a signed module, as scripts/sign-file leaves it. */
function appendedSignature(module: Buffer): Buffer | undefined {
  const tail = module.subarray(module.length - MARKER.length - 12);
  if (tail.toString('latin1', 12) !== MARKER) return undefined;
  const length = tail.readUInt32BE(8);
  return module.subarray(module.length - MARKER.length - 12 - length, module.length - MARKER.length - 12);
}

/** DER seeds for both targets: a certificate, PKCS#7 signatures made for the run, a real module's signature when the corpus has one. */
function derSeeds(): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  // A key and certificate made for the run, and the module signed with them as sign-file
  // does (CMS, no attributes, by issuer and serial; and by subject key id).
  const key = scratchPath('signing.key');
  const cert = scratchPath('signing.pem');
  const der = scratchPath('signing.der');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=relinkable fuzz/O=relinkable', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  execFileSync('openssl', ['x509', '-in', cert, '-outform', 'DER', '-out', der]);
  out.set('certificate.der', readFileSync(der));
  const signedFile = scratchFile('content', CONTENT);
  for (const [name, extra] of [['issuer-serial', []], ['key-id', ['-keyid']]] as const) {
    const p7 = scratchPath(`${name}.p7s`);
    execFileSync('openssl', ['cms', '-sign', '-binary', '-noattr', '-nocerts', '-md', 'sha256', ...extra, '-outform', 'DER', '-in', signedFile, '-signer', cert, '-inkey', key, '-out', p7]);
    out.set(`${name}.p7s`, readFileSync(p7));
  }
  // A real distribution module's signature, when the corpus holds one (docs/corpus.md).
  const signed = join(process.env.RELINKABLE_CACHE ?? join(homedir(), '.cache', 'relinkable'), 'signed');
  if (existsSync(signed)) {
    const kos = readdirSync(signed, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ko')).sort();
    const first = kos[0] === undefined ? undefined : appendedSignature(readFileSync(join(signed, kos[0])));
    if (first) out.set('debian-module.p7s', first);
  }
  return out;
}

/** The digests of the bytes a signature claims to sign, as module-signature.ts gives them. */
const content = { digest: (algorithm: string) => createHash(algorithm).update(CONTENT).digest('hex') };

/** A module signature: a PKCS#7 SignedData read for its signers, the digest compared, the RSA signature checked. */
export const signatureTarget: FuzzTarget = {
  name: 'signature',
  input: 'DER: a PKCS#7 module signature',
  seeds: derSeeds,
  file: () => FILE,
  read(data) {
    pkcs7Signers(data, content, FILE);
  },
};

/** A built-in key list (vmlinux's system_certificate_list): X.509 certificates one after another, zero-padded. */
export const certificatesTarget: FuzzTarget = {
  name: 'certificates',
  input: 'DER: X.509 certificates as system_certificate_list holds them',
  seeds: derSeeds,
  file: () => 'vmlinux',
  read(data) {
    certificateList(data, 'vmlinux', 'system_certificate_list');
  },
};
