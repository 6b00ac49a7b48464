import { createHash } from 'node:crypto';
import type { ModuleSignerId } from '../facts/module.js';
import { DER, DerReader, integerHex, nameText, type DerElement } from './der.js';

/** Digest algorithms a module signature names (include/linux/hash_info.h), by OID. */
const DIGESTS: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '2.16.840.1.101.3.4.2.8': 'sha3-256',
  '2.16.840.1.101.3.4.2.9': 'sha3-384',
  '2.16.840.1.101.3.4.2.10': 'sha3-512',
};

const SIGNED_DATA = '1.2.840.113549.1.7.2';
const MESSAGE_DIGEST_ATTRIBUTE = '1.2.840.113549.1.9.4';

/** What one SignerInfo of a PKCS#7/CMS SignedData says, and the digest of what its signature covers. */
export interface Pkcs7Signer {
  readonly id: ModuleSignerId;
  readonly digestAlgorithm: string;
  readonly signatureAlgorithm: string;
  /** Hex digest of the bytes the signature is over: the content, or the signed attributes when there are some. */
  readonly signedDigest: string;
  /** When there are signed attributes: whether their messageDigest is the content's digest. */
  readonly contentDigestMatches: boolean;
  readonly signature: string;
}

/**
 * The signers of a detached PKCS#7 SignedData (RFC 5652) over `content`, as the kernel's
 * module signature carries it (scripts/sign-file.c). Structural problems are InputErrors
 * naming `file`.
 */
export function pkcs7Signers(der: Buffer, content: { digest(algorithm: string): string }, file: string): Pkcs7Signer[] {
  const r: DerReader = new DerReader(der, file, 'module signature (PKCS#7)');
  const info = r.expect(0, DER.SEQUENCE, der.length, 'ContentInfo');
  const [type, explicit] = r.children(info);
  if (!type || type.tag !== DER.OID || r.oid(type) !== SIGNED_DATA) r.fail(info.contentStart, 'not a SignedData');
  if (!explicit || explicit.tag !== DER.CONTEXT_0) r.fail(type.end, 'SignedData content missing');
  const signedData = r.expect(explicit.contentStart, DER.SEQUENCE, explicit.end, 'SignedData');
  const parts = r.children(signedData);
  const signerInfos = parts[parts.length - 1];
  if (!signerInfos || signerInfos.tag !== DER.SET) r.fail(signedData.contentStart, 'SignedData without signerInfos');
  return r.children(signerInfos).map((s) => signerOf(r, s, content));
}

function signerOf(r: DerReader, info: DerElement, content: { digest(algorithm: string): string }): Pkcs7Signer {
  if (info.tag !== DER.SEQUENCE) r.fail(info.start, 'SignerInfo is not a SEQUENCE');
  const f = r.children(info);
  const [, sid, digestAlg] = f;
  if (!sid || !digestAlg) r.fail(info.start, 'SignerInfo truncated');
  let id: ModuleSignerId;
  if (sid.tag === DER.SEQUENCE) {
    const [issuer, serial] = r.children(sid);
    if (!issuer || issuer.tag !== DER.SEQUENCE || !serial || serial.tag !== DER.INTEGER) r.fail(sid.start, 'IssuerAndSerialNumber malformed');
    id = { kind: 'issuer-serial', issuer: r.encoding(issuer).toString('hex'), issuerText: nameText(r, issuer), serial: integerHex(r.contents(serial)) };
  } else if (sid.tag === DER.CONTEXT_0_PRIMITIVE) {
    id = { kind: 'key-id', keyId: r.contents(sid).toString('hex') };
  } else {
    r.fail(sid.start, `SignerIdentifier tag 0x${sid.tag.toString(16)}`);
  }
  const digestAlgorithm = algorithmOf(r, digestAlg);
  const digestName = DIGESTS[digestAlgorithm];
  if (!digestName) r.fail(digestAlg.start, `digest algorithm ${digestAlgorithm} is not one the kernel knows`);
  let at = 3;
  let attrs: DerElement | undefined;
  if (f[at]?.tag === DER.CONTEXT_0) attrs = f[at++];
  const sigAlg = f[at++];
  const signature = f[at];
  if (!sigAlg || !signature || signature.tag !== DER.OCTET_STRING) r.fail(info.start, 'SignerInfo without a signature');
  const contentDigest = content.digest(digestName);
  let signedDigest = contentDigest;
  let contentDigestMatches = true;
  if (attrs) {
    // Signed attributes are signed as a SET OF (RFC 5652 5.4): the [0] tag becomes 0x31.
    const asSet = Buffer.from(r.encoding(attrs));
    asSet[0] = DER.SET;
    signedDigest = createHash(digestName).update(asSet).digest('hex');
    const md = r.children(attrs).find((a) => {
      const [oid] = r.children(a);
      return oid?.tag === DER.OID && r.oid(oid) === MESSAGE_DIGEST_ATTRIBUTE;
    });
    const value = md ? r.children(r.children(md)[1] ?? md)[0] : undefined;
    contentDigestMatches = value !== undefined && r.contents(value).toString('hex') === contentDigest;
  }
  return {
    id,
    digestAlgorithm: digestName,
    signatureAlgorithm: algorithmOf(r, sigAlg),
    signedDigest,
    contentDigestMatches,
    signature: r.contents(signature).toString('hex'),
  };
}

function algorithmOf(r: DerReader, e: DerElement): string {
  const [oid] = r.children(e);
  if (!oid || oid.tag !== DER.OID) r.fail(e.start, 'AlgorithmIdentifier without an OID');
  return r.oid(oid);
}
