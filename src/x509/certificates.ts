import { X509Certificate } from 'node:crypto';
import { DER, DerReader, integerHex } from './der.js';

/** One X.509 certificate as the kernel's keyring identifies it: issuer and serial, subject key id. */
export interface CertificateId {
  /** The issuer Name's DER, hex: compared byte for byte (crypto/asymmetric_keys/x509_public_key.c key ids). */
  readonly issuer: string;
  readonly serial: string;
  readonly subjectKeyId: string | undefined;
  /** The subject, one line ("CN=Debian Secure Boot CA, O=Debian"). */
  readonly subject: string;
  readonly der: Buffer;
}

const SUBJECT_KEY_IDENTIFIER = '2.5.29.14';

/** A concatenation of DER certificates (certs/system_certificates.S: system_certificate_list). */
export function certificateList(bytes: Buffer, file: string, what: string): CertificateId[] {
  const r: DerReader = new DerReader(bytes, file, what);
  const out: CertificateId[] = [];
  for (let at = 0; at < bytes.length; ) {
    // The list is padded to 8 bytes, and the extra-certificate space is zero-filled.
    if (bytes[at] === 0) {
      at++;
      continue;
    }
    const cert = r.expect(at, DER.SEQUENCE, bytes.length, 'Certificate');
    const [tbs] = r.children(cert);
    if (!tbs || tbs.tag !== DER.SEQUENCE) r.fail(cert.start, 'Certificate without tbsCertificate');
    const f = r.children(tbs);
    const i = f[0]?.tag === DER.CONTEXT_0 ? 1 : 0;
    const serial = f[i];
    const issuer = f[i + 2];
    if (!serial || serial.tag !== DER.INTEGER || !issuer || issuer.tag !== DER.SEQUENCE) r.fail(tbs.start, 'tbsCertificate malformed');
    let subjectKeyId: string | undefined;
    const extensions = f.find((e) => e.tag === DER.CONTEXT_3);
    if (extensions) {
      const [list] = r.children(extensions);
      for (const ext of list ? r.children(list) : []) {
        const [oid, ...rest] = r.children(ext);
        if (oid?.tag === DER.OID && r.oid(oid) === SUBJECT_KEY_IDENTIFIER) {
          // Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
          const value = rest.at(-1);
          if (!value || value.tag !== DER.OCTET_STRING) r.fail(ext.start, 'subjectKeyIdentifier extension without its OCTET STRING value');
          const inner = r.element(value.contentStart, value.end);
          subjectKeyId = r.contents(inner).toString('hex');
        }
      }
    }
    const der = Buffer.from(r.encoding(cert));
    let subject: string;
    try {
      subject = new X509Certificate(der).subject.split('\n').join(', ');
    } catch {
      r.fail(cert.start, 'a certificate OpenSSL cannot parse');
    }
    out.push({ issuer: r.encoding(issuer).toString('hex'), serial: integerHex(r.contents(serial)), subjectKeyId, subject, der });
    at = cert.end;
  }
  return out;
}
