import { InputError } from '../errors.js';
import { readInputLines } from '../input-file.js';

/**
 * A kernel .config: CONFIG_FOO=y|m|<number>|"string", and "# CONFIG_FOO is not set".
 * Values are kept as written, strings unquoted; options that are not set read as 'n'.
 */
/** "# Linux/x86 6.1.192 Kernel Configuration" among the first lines: the kernel version a .config was made for. */
function headerVersion(text: string): string | undefined {
  for (const line of text.slice(0, 1024).split('\n', 8)) {
    const m = /^# Linux\/\S+ (\S+) Kernel Configuration\s*$/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

export class KernelConfig {
  private constructor(
    readonly file: string,
    private readonly values: ReadonlyMap<string, string>,
    /** The kernel version its header comment names ("# Linux/x86 6.1.192 Kernel Configuration"); undefined without one. */
    readonly kernelVersion: string | undefined,
  ) {}

  static parse(text: string, file: string): KernelConfig {
    const values = new Map<string, string>();
    let lineNo = 0;
    let sawOption = false;
    for (const line of text.split('\n')) {
      lineNo++;
      const unset = /^# CONFIG_([A-Za-z0-9_]+) is not set$/.exec(line);
      if (unset) {
        values.set(unset[1]!, 'n');
        sawOption = true;
        continue;
      }
      if (line === '' || line.startsWith('#')) continue;
      const m = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/.exec(line);
      if (!m) throw new InputError(file, `line ${lineNo}: not a Kconfig assignment: ${line.slice(0, 60)}`);
      let value = m[2]!;
      if (value.startsWith('"')) {
        if (!value.endsWith('"') || value.length < 2) throw new InputError(file, `line ${lineNo}: unterminated string`);
        value = value.slice(1, -1).replace(/\\(["\\])/g, '$1');
      }
      values.set(m[1]!, value);
      sawOption = true;
    }
    if (!sawOption) throw new InputError(file, 'no CONFIG_ options found (is this a kernel .config?)');
    return new KernelConfig(file, values, headerVersion(text));
  }

  static read(path: string): KernelConfig {
    return KernelConfig.parse(readInputLines(path, '.config'), path);
  }

  /** The raw value, or 'n' when the option is unset or absent. Name without the CONFIG_ prefix. */
  get(option: string): string {
    return this.values.get(option) ?? 'n';
  }

  has(option: string): boolean {
    return this.values.has(option);
  }

  enabled(option: string): boolean {
    const v = this.get(option);
    return v === 'y' || v === 'm';
  }

  /** CONFIG_CC_VERSION_TEXT, e.g. "x86_64-linux-gnu-gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0". */
  get compilerVersionText(): string | undefined {
    return this.values.get('CC_VERSION_TEXT');
  }

  get size(): number {
    return this.values.size;
  }
}
