#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { homedir } from 'node:os';
import { analyze } from '../run/analyze.js';
import { InputError, UsageError, printable } from '../errors.js';
import { SEVERITIES, type Severity } from '../findings/index.js';
import { buildReport } from '../report/report.js';
import { defaultDocsUrl } from '../report/links.js';
import { EVIDENCE_FORMATS, REPORT_FORMATS, renderReport, renderVerifyReport, writeEvidence, type ReportFormat } from './evidence.js';
import { toolVersion } from '../version.js';
import { StderrProgress } from './progress.js';
import { SILENT_PROGRESS } from '../facts/progress.js';
import { readFrozenObject } from '../object/read.js';
import { buildSnapshot, renderSnapshot } from '../snapshot/write.js';
import { writeOutputFile } from './output.js';
import { runTime } from './time.js';
import { startingWaivers } from './waive.js';
import { explain } from './explain.js';

/** How long a waiver written by `relinkable waive` lasts by default: a quarter, so that accepted findings are looked at again. */
const WAIVER_DAYS = 90;
import { verify } from '../run/verify.js';
import { buildVerifyReport } from '../report/verify.js';
import { addScanCommands } from './scan.js';

/** Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 unusable input or usage, 3 internal error. */
export const EXIT = { ok: 0, findings: 1, input: 2, internal: 3 } as const;

interface CheckFlags {
  kernel?: string;
  vmlinux?: string;
  symvers?: string;
  config?: string;
  systemMap?: string;
  release?: string;
  replaces?: string[];
  reference?: string[];
  builtWith?: string;
  signatures?: string;
  asIs?: boolean;
  relink?: boolean;
  typeSource: 'auto' | 'btf' | 'dwarf' | 'none';
  format: ReportFormat;
  evidence?: string;
  docsUrl?: string;
  output?: string;
  failOn: Severity | 'never';
  color?: boolean;
  /** undefined: on a terminal only. */
  progress?: boolean;
  waivers?: string;
  now?: string;
  digests?: boolean;
}

interface VerifyFlags {
  linked?: string;
  linkerScript?: string;
  map?: string;
  fips140Embedded?: boolean;
  certified?: string;
  hmacKey?: string;
  config?: string;
  androidFips140?: string;
  rhelHmac?: string;
  fips140Abi?: string | true;
  format: ReportFormat;
  output?: string;
  evidence?: string;
  digests?: boolean;
  now?: string;
  docsUrl?: string;
}

/** --docs-url: an absolute URL ending in / (the pages are <url><id>.md). */
function checkDocsUrl(url: string | undefined): void {
  if (url !== undefined && !/^[a-z][a-z0-9+.-]*:\/\/\S+\/$/i.test(url)) throw new UsageError(`--docs-url ${url}: an absolute URL ending in / (the pages are <url><id>.md)`);
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Options given once per object or reference; every other option with a value takes one. */
const REPEATABLE = new Set(['replaces', 'reference']);

/**
 * A single-valued option given twice is a usage error naming both values, never "the last
 * one wins": `--kernel a --kernel b` would otherwise check against b without a word.
 */
function refuseRepeats(command: Command): Command {
  const given = new Map<string, string>();
  for (const option of command.options) {
    if (option.negate || !(option.required || option.optional) || REPEATABLE.has(option.name())) continue;
    command.on(`option:${option.name()}`, (value: string) => {
      const before = given.get(option.name());
      if (before !== undefined) throw new UsageError(`${option.long} given twice (${before}, then ${value}): it takes one value`);
      given.set(option.name(), value);
    });
  }
  return command;
}

/** Where the CLI writes: process.stdout/stderr, or a capture in tests. */
export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** What the CLI writes to, and (for tests) the clock its progress reads. */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  /** Milliseconds, monotonic; performance.now() unless a test gives its own. */
  clock?: () => number;
}

export async function main(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('relinkable')
    .description('Will this frozen, pre-compiled kernel object relink into that new kernel build, and run?')
    .version(toolVersion())
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  const check = program
    .command('check')
    .description('predict what relinking the frozen objects into the new kernel will do')
    .argument('<objects...>', 'frozen relocatable objects (.o, .ko); a set is relinked together')
    .option('--kernel <dir>', 'new kernel: a make O= build directory, or unpacked Debian linux-image-*-dbg + linux-headers-*')
    .option('--vmlinux <file>', 'new vmlinux (overrides what --kernel found)')
    .option('--symvers <file>', 'new Module.symvers')
    .option('--config <file>', 'new .config')
    .option('--system-map <file>', 'new System.map: checked against vmlinux; the symbol table of a stripped vmlinux')
    .option('--release <abi>', 'with several kernels in a Debian layout (--kernel): which one')
    .option('--replaces <path>', 'what the frozen object (.o) replaces (object path in the build directory, or compile unit); repeat per object', collect)
    .option('--reference <object>', 'the same source compiled in the new tree: preferred for the new interface; repeatable', collect)
    .option('--built-with <dir>', 'the kernel the frozen objects were compiled in (build directory or linux-headers): what their CPU feature numbers and fixup types meant')
    .option('--signatures <dir>', 'a build-primitive catalogue other than the bundled signatures/')
    .addOption(
      new Option('--type-source <source>', 'vmlinux type information to compare interfaces with: auto (BTF, then DWARF), only one, or none (link checks only)')
        .choices(['auto', 'btf', 'dwarf', 'none'])
        .default('auto'),
    )
    .addOption(new Option('--as-is', 'a .ko loaded unchanged: its CRCs, struct module, vermagic, BTF and signature meet the new loader (default for .ko)').conflicts('relink'))
    .addOption(new Option('--relink', 'the frozen objects are linked by the new tree\'s kbuild, which writes the module metadata anew (default for .o)').conflicts('asIs'))
    .addOption(new Option('--format <format>', 'report format').choices([...REPORT_FORMATS]).default('text'))
    .option('--output <file>', 'write the report to a file instead of standard output')
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding is at least this severe').choices([...SEVERITIES, 'never']).default('runtime'),
    )
    .option('--no-color', 'no colour in the text report')
    .option('--progress', 'say on stderr what a step that takes over a second is doing, even when stderr is not a terminal')
    .option('--no-progress', 'say nothing on stderr while checking, even on a terminal')
    .option('--waivers <file>', 'findings accepted, by whom and until when (YAML or JSON, docs/evidence.md): reported as waived, not counted by --fail-on')
    .option('--now <date>', 'the time to judge at (waiver expiry, the attestation) instead of SOURCE_DATE_EPOCH or the clock')
    .option('--digests', "list every input's sha256 in the report (the evidence formats always do)")
    .option('--evidence <dir>', 'also write the report in every format into this directory (docs/evidence.md): what to file with a certification')
    .option('--docs-url <url>', 'where the finding pages are, for the links of the evidence formats (default: the project repository at this version)')
    .action(async (objects: string[], flags: CheckFlags) => {
      // The evidence formats carry digests and a time: the run hashes every input and reads a clock.
      const evidence = flags.evidence !== undefined || EVIDENCE_FORMATS.includes(flags.format);
      checkDocsUrl(flags.docsUrl);
      // Where the run is made: the manifest and the evidence formats write paths relative to it.
      const base = { cwd: process.cwd(), home: homedir() };
      const live = io.stderr.isTTY === true;
      const progress = (flags.progress ?? live) ? new StderrProgress({ stream: io.stderr, live, clock: io.clock }) : SILENT_PROGRESS;
      const record = await analyze(objects, {
        kernel: flags.kernel,
        vmlinux: flags.vmlinux,
        symvers: flags.symvers,
        config: flags.config,
        systemMap: flags.systemMap,
        release: flags.release,
        replaces: flags.replaces,
        reference: flags.reference,
        typeSource: flags.typeSource,
        builtWith: flags.builtWith,
        signatures: flags.signatures,
        use: flags.asIs ? 'as-is' : flags.relink ? 'relinked' : undefined,
        progress,
        waivers: flags.waivers,
        time: runTime(flags.now, process.env, flags.waivers !== undefined || evidence),
        digests: flags.digests === true || evidence,
        base,
      }).finally(() => progress.done());
      const report = buildReport(record, toolVersion(), { failOn: flags.failOn });
      const toTerminal = !flags.output && io.stdout.isTTY === true;
      const color = flags.color !== false && toTerminal && !process.env.NO_COLOR;
      const docsUrl = flags.docsUrl ?? defaultDocsUrl(report.tool.version);
      const text = renderReport(report, flags.format, { color, docsUrl, base });
      if (flags.output) {
        writeOutputFile(flags.output, text, 'report');
      } else {
        io.stdout.write(text);
      }
      // After the report, so that a terminal ends with where the bundle is.
      if (flags.evidence !== undefined) {
        for (const file of writeEvidence(flags.evidence, (format) => renderReport(report, format, { color: false, docsUrl, base }))) io.stderr.write(`relinkable: evidence: ${file}\n`);
      }
      exitCode = report.gate.result === 'failed' ? EXIT.findings : EXIT.ok;
    });

  refuseRepeats(check);

  const extract = program
    .command('extract')
    .description("write a frozen object's ABI snapshot: what it expects of the kernel, as a small JSON file to certify and review")
    .argument('<object>', 'frozen relocatable object (.o, .ko)')
    .option('-o, --output <file>', 'where to write the snapshot (default: standard output)')
    .action((object: string, flags: { output?: string }) => {
      const text = renderSnapshot(buildSnapshot(readFrozenObject(object)));
      if (flags.output) {
        writeOutputFile(flags.output, text, 'snapshot');
      } else {
        io.stdout.write(text);
      }
    });

  refuseRepeats(extract);

  const waive = program
    .command('waive')
    .description('write a starting waivers file from a JSON report: one waiver per finding, to be justified and approved by a person')
    .argument('<report>', 'the report of check --format json (or report.json of --evidence)')
    .option('-o, --output <file>', 'where to write the waivers file (default: standard output)')
    .option('--expires <date>', 'the expiry of every waiver, YYYY-MM-DD (default: 90 days after SOURCE_DATE_EPOCH or today)')
    .action((reportPath: string, flags: { output?: string; expires?: string }) => {
      if (flags.expires !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(flags.expires)) throw new UsageError(`--expires ${flags.expires}: a date, YYYY-MM-DD`);
      const expires = flags.expires ?? new Date(Date.parse(runTime(undefined, process.env, true)!.at) + WAIVER_DAYS * 86_400_000).toISOString().slice(0, 10);
      const text = startingWaivers(reportPath, expires);
      if (flags.output) writeOutputFile(flags.output, text, 'waivers file');
      else io.stdout.write(text);
    });

  refuseRepeats(waive);

  program
    .command('explain')
    .description("print a finding's page (docs/findings/<id>.md); without an id, list the ids")
    .argument('[id]', 'a finding id, as reports name it')
    .action((id: string | undefined) => {
      io.stdout.write(explain(id));
    });

  const verifyCommand = program
    .command('verify')
    .description('prove from the files that a linked vmlinux or module holds the frozen objects\' certified bytes, modulo relocations')
    .argument('[objects...]', 'frozen relocatable objects (.o) that were linked')
    .option('--linked <file>', 'the linked vmlinux, or the module .ko the objects were linked into')
    .option('--linker-script <file>', 'the linker script of the link (default: arch/<arch>/kernel/vmlinux.lds next to vmlinux, scripts/module.lds of the build directory a .ko lies in): which sections it discards')
    .option('--map <file>', 'the GNU ld map file (-Map) of the link: where it put each input section (else found from the symbols)')
    .option('--fips140-embedded', 'recompute the embedded fips140.ko scheme of the --linked vmlinux (Amazon Linux CONFIG_CRYPTO_FIPS140_EXTMOD)')
    .option('--certified <fips140.ko>', 'with --fips140-embedded: the certified module the embedded one must be')
    .option('--hmac-key <key>', 'with --fips140-embedded: the HMAC key (else CONFIG_CRYPTO_FIPS140_HMAC_KEY of --config)')
    .option('--config <file>', 'with --fips140-embedded: the .config that sets CONFIG_CRYPTO_FIPS140_HMAC_KEY')
    .option('--fips140-abi [fips140.ko]', "Amazon's placeholder ABI: the --linked vmlinux's placeholders against the module's key tables (the embedded module when no file is given)")
    .option('--android-fips140 <fips140.ko>', "recompute Android's fips140.ko HMAC over .text and .rodata")
    .option('--rhel-hmac <vmlinuz>', "recompute RHEL's .vmlinuz-<ver>.hmac beside the vmlinuz")
    .addOption(new Option('--format <format>', 'report format').choices([...REPORT_FORMATS]).default('text'))
    .option('--output <file>', 'write the report to a file instead of standard output')
    .option('--digests', "list every input's sha256 in the report (the evidence formats always do)")
    .option('--evidence <dir>', 'also write the report in every format into this directory (docs/verify.md): what to file with a certification')
    .option('--now <date>', 'the time to record instead of SOURCE_DATE_EPOCH or the clock')
    .option('--docs-url <url>', 'where the finding pages are, for the links of the evidence formats (default: the project repository at this version)')
    .action((objects: string[], flags: VerifyFlags) => {
      const evidence = flags.evidence !== undefined || EVIDENCE_FORMATS.includes(flags.format);
      checkDocsUrl(flags.docsUrl);
      const base = { cwd: process.cwd(), home: homedir() };
      const record = verify(objects, {
        linked: flags.linked,
        linkerScript: flags.linkerScript,
        map: flags.map,
        embeddedFips140: flags.fips140Embedded ? { key: flags.hmacKey, config: flags.config, certified: flags.certified } : undefined,
        androidFips140: flags.androidFips140,
        rhelHmac: flags.rhelHmac,
        placeholderAbi: flags.fips140Abi,
        digests: flags.digests === true || evidence,
        time: runTime(flags.now, process.env, evidence),
        base,
      });
      const report = buildVerifyReport(record);
      const options = { color: false, docsUrl: flags.docsUrl ?? defaultDocsUrl(report.tool.version), base };
      const text = renderVerifyReport(report, flags.format, options);
      if (flags.output) {
        writeOutputFile(flags.output, text, 'report');
      } else {
        io.stdout.write(text);
      }
      if (flags.evidence !== undefined) {
        for (const file of writeEvidence(flags.evidence, (format) => renderVerifyReport(report, format, options))) io.stderr.write(`relinkable: evidence: ${file}\n`);
      }
      exitCode = report.verdict === 'identical' ? EXIT.ok : EXIT.findings;
    });

  refuseRepeats(verifyCommand);
  addScanCommands(program, io, (code) => {
    exitCode = code;
  });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with code 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.input;
    }
    if (err instanceof InputError || err instanceof UsageError) {
      io.stderr.write(`relinkable: error: ${err.message}\n`);
      return EXIT.input;
    }
    const e = err as Error;
    io.stderr.write(`relinkable: internal error: ${printable(String(e?.message ?? e))} (set RELINKABLE_DEBUG=1 for the stack)\n`);
    if (process.env.RELINKABLE_DEBUG) io.stderr.write(`${e.stack}\n`);
    return EXIT.internal;
  }
}

const invokedDirectly = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly || process.argv[1]?.endsWith('/relinkable')) {
  // A reader that stops reading (`relinkable check … | head`) closes the pipe: the rest of
  // the output has nowhere to go, which is not an error of the run. Exit quietly with the
  // run's own exit code, as other command-line tools do, instead of an unhandled EPIPE.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
