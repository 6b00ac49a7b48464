import type { ElfFile, ElfSymbol } from '../elf/index.js';
import { InputError } from '../errors.js';
import { certificateList, type CertificateId } from '../x509/certificates.js';

/** Built-in keyrings beyond this are not a kernel's (a few certificates, some kilobytes). */
const MAX_CERTIFICATE_LIST_BYTES = 1 << 20;

/**
 * The X.509 certificates vmlinux carries built in (certs/system_certificates.S): the module
 * signing key and CONFIG_SYSTEM_TRUSTED_KEYS, between system_certificate_list and its size.
 * Undefined when vmlinux has no such list (CONFIG_SYSTEM_TRUSTED_KEYRING is off).
 */
export function readBuiltinCertificates(vmlinux: ElfFile, global: (name: string) => ElfSymbol | undefined): CertificateId[] | undefined {
  const list = global('system_certificate_list');
  const sizeSymbol = global('system_certificate_list_size');
  if (!list || !sizeSymbol) return undefined;
  const at = (sym: ElfSymbol, length: number, what: string): Buffer => {
    const section = vmlinux.sections[sym.shndx];
    const offset = section ? section.offset + Number(sym.value - section.addr) : -1;
    if (!section || section.type === 8 || sym.value < section.addr || offset + length > section.offset + section.size) {
      throw new InputError(vmlinux.name, `${what} at ${sym.value.toString(16)} is not inside a section with file contents`);
    }
    return vmlinux.source.read(offset, length, what);
  };
  const sizeBytes = at(sizeSymbol, vmlinux.header.is64 ? 8 : 4, 'system_certificate_list_size');
  const size = vmlinux.header.is64 ? Number(vmlinux.header.littleEndian ? sizeBytes.readBigUInt64LE(0) : sizeBytes.readBigUInt64BE(0)) : vmlinux.header.littleEndian ? sizeBytes.readUInt32LE(0) : sizeBytes.readUInt32BE(0);
  if (size > MAX_CERTIFICATE_LIST_BYTES) throw new InputError(vmlinux.name, `system_certificate_list_size is ${size} bytes, more than the ${MAX_CERTIFICATE_LIST_BYTES} a kernel's built-in keys take`);
  return certificateList(at(list, size, 'system_certificate_list'), vmlinux.name, 'system_certificate_list');
}
