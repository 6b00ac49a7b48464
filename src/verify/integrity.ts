import { createHash, createHmac } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { EM_AARCH64, SHN_LORESERVE, SHN_UNDEF, SHT_NOBITS } from '../elf/constants.js';
import type { ElfFile } from '../elf/file.js';
import { relocationTypeName } from '../elf/relocations.js';
import { DIGEST_CHUNK, FileSource, sha256Of } from '../elf/source.js';
import type { IntegrityCheck } from '../facts/verify.js';
import { readInputText } from '../input-file.js';

/**
 * The vendors' integrity schemes, recomputed from the files before boot. Each follows the
 * scheme's published layout (its kernel and build sources, read, not copied; docs/verify.md
 * names them); each result lists what was compared, both values, and whether they agree.
 */

function symbolBytes(elf: ElfFile, start: string, end: string): { bytes: Buffer; at: bigint } {
  const a = definedSymbol(elf, start);
  const b = definedSymbol(elf, end);
  if (a.shndx !== b.shndx) throw new InputError(elf.name, `${start} and ${end} lie in different sections`);
  if (b.value < a.value) throw new InputError(elf.name, `${end} lies before ${start}`);
  const section = elf.sectionAt(a.shndx);
  if (section.type === SHT_NOBITS) throw new InputError(elf.name, `${start} lies in ${section.name}, which has no bytes`);
  const offset = elf.isRelocatable ? a.value : a.value - section.addr;
  if (offset < 0n || offset + (b.value - a.value) > BigInt(section.size)) throw new InputError(elf.name, `${start}..${end} lies outside ${section.name}`);
  return { bytes: elf.source.read(section.offset + Number(offset), Number(b.value - a.value), `${start}..${end}`), at: offset };
}

function definedSymbol(elf: ElfFile, name: string): { shndx: number; value: bigint } {
  const s = [...elf.symbolsNamed(name), ...elf.localSymbolsNamed(name)].find((x) => x.shndx !== SHN_UNDEF && x.shndx < SHN_LORESERVE);
  if (!s) throw new InputError(elf.name, `no symbol ${name}: not laid out as the scheme expects`);
  return { shndx: s.shndx, value: s.value };
}

/**
 * Amazon Linux's CONFIG_CRYPTO_FIPS140_EXTMOD (and Oracle UEK 8's equivalent): fips140.ko is
 * embedded whole in vmlinux between _binary_fips140_ko_start and _end (.fips140_embedded),
 * and the HMAC-SHA256 of the .ko, keyed by CONFIG_CRYPTO_FIPS140_HMAC_KEY, between
 * _binary_fips140_hmac_start and _end (.fips140_digest). Extracted, hashed, and compared with
 * the certified .ko when given.
 */
export function embeddedFips140(vmlinux: ElfFile, key: string, certified: string | undefined): IntegrityCheck {
  const module = embeddedModule(vmlinux);
  const digest = symbolBytes(vmlinux, '_binary_fips140_hmac_start', '_binary_fips140_hmac_end').bytes;
  const items: IntegrityCheck['items'][number][] = [];
  if (certified) {
    const source = FileSource.open(certified);
    try {
      const want = sha256Of(source);
      const found = createHash('sha256').update(module).digest('hex');
      items.push({ what: `sha256 of the embedded module (${module.length} bytes) against the certified ${certified}`, expected: want, found, ok: want === found });
    } finally {
      source.close();
    }
  }
  const hmac = createHmac('sha256', key).update(module).digest('hex');
  items.push({ what: 'HMAC-SHA256 of the embedded module, keyed by CONFIG_CRYPTO_FIPS140_HMAC_KEY, against the embedded digest', expected: digest.toString('hex'), found: hmac, ok: digest.toString('hex') === hmac });
  return { scheme: 'embedded-fips140', file: vmlinux.name, items, refusedRelocations: [] };
}

/** The fips140.ko embedded in a vmlinux by Amazon's layout, as bytes. */
export function embeddedModule(vmlinux: ElfFile): Buffer {
  return symbolBytes(vmlinux, '_binary_fips140_ko_start', '_binary_fips140_ko_end').bytes;
}

/** The relocation types Android's fips140 module reverts in its copy of .text (arm64); anything else it refuses (BUG). */
const ANDROID_TEXT_TYPES = new Set([282, 283, 274, 275, 276, 277, 278, 284, 285, 286, 299]);
/** … and in its copy of .rodata: R_AARCH64_ABS64 only. */
const ANDROID_RODATA_TYPES = new Set([257]);

/**
 * Android's fips140.ko: HMAC-SHA256 over its .text from __fips140_text_start to _end and its
 * .rodata from __fips140_rodata_start to _end with the relocations reverted (in the .ko file
 * they are not applied yet: the file's bytes are those), keyed by the string
 * fips140_integ_hmac_key, against the 32 bytes fips140_integ_hmac_digest the build tool wrote.
 * At load the module reverts its relocations on a copy first; a relocation type its reverter
 * does not know makes it BUG(): each such relocation in the hashed ranges is listed.
 */
export function androidFips140(ko: ElfFile): IntegrityCheck {
  const text = symbolBytes(ko, '__fips140_text_start', '__fips140_text_end');
  const rodata = symbolBytes(ko, '__fips140_rodata_start', '__fips140_rodata_end');
  const keySym = definedSymbol(ko, 'fips140_integ_hmac_key');
  const keySection = ko.sectionAt(keySym.shndx);
  const keyBytes = ko.sectionData(keySection).subarray(Number(keySym.value));
  const nul = keyBytes.indexOf(0);
  if (nul < 0) throw new InputError(ko.name, 'fips140_integ_hmac_key is not NUL-terminated');
  const digestSym = definedSymbol(ko, 'fips140_integ_hmac_digest');
  const digest = ko.sectionData(ko.sectionAt(digestSym.shndx)).subarray(Number(digestSym.value), Number(digestSym.value) + 32);
  if (digest.length !== 32) throw new InputError(ko.name, 'fips140_integ_hmac_digest is shorter than a SHA-256 digest');
  const hmac = createHmac('sha256', keyBytes.subarray(0, nul)).update(text.bytes).update(rodata.bytes).digest('hex');

  const refused: IntegrityCheck['refusedRelocations'][number][] = [];
  const ranges = [
    { start: '__fips140_text_start', range: text, allowed: ANDROID_TEXT_TYPES },
    { start: '__fips140_rodata_start', range: rodata, allowed: ANDROID_RODATA_TYPES },
  ];
  for (const { start, range, allowed } of ranges) {
    const shndx = definedSymbol(ko, start).shndx;
    const section = ko.sectionAt(shndx);
    for (const table of ko.relocationsFor(section)) {
      for (let i = 0; i < table.count; i++) {
        const offset = table.offsetAt(i);
        if (offset < range.at || offset >= range.at + BigInt(range.bytes.length)) continue;
        const type = table.typeAt(i);
        if (ko.header.machine === EM_AARCH64 && allowed.has(type)) continue;
        refused.push({ section: section.name, offset: Number(offset), type: relocationTypeName(ko.header.machine, type) });
      }
    }
  }
  return {
    scheme: 'android-fips140',
    file: ko.name,
    items: [
      {
        what: `HMAC-SHA256 of .text (${text.bytes.length} bytes) and .rodata (${rodata.bytes.length} bytes) with relocations reverted, keyed by fips140_integ_hmac_key, against fips140_integ_hmac_digest`,
        expected: digest.toString('hex'),
        found: hmac,
        ok: digest.toString('hex') === hmac,
      },
    ],
    refusedRelocations: refused,
  };
}

/** libkcapi's hmaccalc key: what RHEL's sha512hmac (and dracut-fips checking it) use. */
const HMACCALC_KEY = 'FIPS-FTW-RHT2009';

/**
 * RHEL: /boot/.vmlinuz-<ver>.hmac beside vmlinuz-<ver>, written by sha512hmac (libkcapi
 * hmaccalc: HMAC-SHA512, its fixed key) and checked by dracut's fips module at boot. The line
 * is "<hex>  <path>" (or the BSD form "HMAC(SHA512) (<path>) = <hex>").
 */
export function rhelHmac(vmlinuz: string): IntegrityCheck {
  const hmacFile = join(dirname(vmlinuz), `.${basename(vmlinuz)}.hmac`);
  const text = readInputText(hmacFile, 'HMAC file');
  const line = text.split('\n').find((l) => l.trim() !== '');
  const m = line && (/^([0-9a-fA-F]{128})\s+(\S.*)$/.exec(line.trim()) ?? /^HMAC\(SHA512\) \((.*)\) = ([0-9a-fA-F]{128})$/.exec(line.trim()));
  if (!m) throw new InputError(hmacFile, 'no "<128 hex digits>  <file>" line: not a sha512hmac file');
  const [expected, named] = m[1]!.length === 128 && /^[0-9a-fA-F]+$/.test(m[1]!) ? [m[1]!, m[2]!] : [m[2]!, m[1]!];
  const source = FileSource.open(vmlinuz);
  try {
    const hmac = createHmac('sha512', HMACCALC_KEY);
    for (let offset = 0; offset < source.size; offset += DIGEST_CHUNK) hmac.update(source.read(offset, Math.min(DIGEST_CHUNK, source.size - offset), 'contents for the HMAC'));
    const found = hmac.digest('hex');
    return {
      scheme: 'rhel-hmac',
      file: vmlinuz,
      items: [{ what: `HMAC-SHA512 (sha512hmac's key) of ${basename(vmlinuz)} against ${hmacFile}, which names ${named}`, expected: expected.toLowerCase(), found, ok: expected.toLowerCase() === found }],
      refusedRelocations: [],
    };
  } finally {
    source.close();
  }
}
