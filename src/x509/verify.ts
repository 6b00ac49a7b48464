import { X509Certificate, constants, publicDecrypt } from 'node:crypto';

/** DigestInfo prefixes of PKCS#1 v1.5 signatures (RFC 8017 9.2 note 1), by digest. */
const DIGEST_INFO: Readonly<Record<string, string>> = {
  sha1: '3021300906052b0e03021a05000414',
  sha224: '302d300d06096086480165030402040500041c',
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

/**
 * Whether `signature` (hex) is the certificate's RSA PKCS#1 v1.5 signature of a `digest` (hex)
 * computed with `algorithm`; undefined when the key is not RSA or the digest not one of the
 * above (the kernel checks those too; relinkable then only matches the signer's key id).
 */
export function rsaSignatureVerifies(certificate: Buffer, algorithm: string, digest: string, signature: string): boolean | undefined {
  const prefix = DIGEST_INFO[algorithm];
  const key = new X509Certificate(certificate).publicKey;
  if (!prefix || key.asymmetricKeyType !== 'rsa') return undefined;
  try {
    const recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(signature, 'hex'));
    return recovered.toString('hex') === prefix + digest;
  } catch {
    return false;
  }
}
