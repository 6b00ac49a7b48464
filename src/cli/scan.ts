import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { SEVERITIES, type Severity } from '../findings/index.js';
import { SILENT_PROGRESS } from '../facts/progress.js';
import { debianKernelPackages } from '../scan/apt.js';
import { kernelInputs, parseShard, readKernelList, scan, seriesDrift } from '../scan/scan.js';
import { renderDriftMarkdown } from '../scan/drift.js';
import { emptyState, mergeStates, readState, renderState, type ScanState } from '../scan/state.js';
import { buildTimeline, renderTimelineHtml, renderTimelineJson, renderTimelineMarkdown, renderTimelineText } from '../scan/timeline.js';
import { writeOutputFile } from './output.js';
import { StderrProgress } from './progress.js';
import type { CliIo } from './main.js';

interface TimelineFlags {
  format: 'text' | 'json' | 'markdown' | 'html';
  output?: string;
  failOn: Severity | 'never';
}

/** Renders the timeline of `state`, writes it, and gives the exit code: 1 when a cell of the newest release breaks. */
function finish(state: ScanState, previous: ScanState, flags: TimelineFlags, io: CliIo): number {
  const timeline = buildTimeline(state, previous, flags.failOn);
  const render = { text: renderTimelineText, json: renderTimelineJson, markdown: renderTimelineMarkdown, html: renderTimelineHtml }[flags.format];
  const text = render(timeline);
  if (flags.output) writeOutputFile(flags.output, text, 'timeline');
  else io.stdout.write(text);
  return timeline.newest?.breaks ? 1 : 0;
}

const timelineOptions = (command: Command) =>
  command
    .addOption(new Option('--format <format>', 'timeline format').choices(['text', 'json', 'markdown', 'html']).default('text'))
    .option('--output <file>', 'write the timeline to a file instead of standard output')
    .addOption(new Option('--fail-on <severity>', 'a cell breaks with a finding at least this severe; exit 1 when one of the newest release does').choices([...SEVERITIES, 'never']).default('runtime'));

/** `relinkable scan` and `relinkable merge` (docs/scan.md). */
export function addScanCommands(program: Command, io: CliIo, setExit: (code: number) => void): void {
  timelineOptions(
    program
      .command('scan')
      .description('check frozen objects against many kernels, each read once: the timeline of verdicts, and the first release that breaks each object')
      .argument('<objects...>', 'frozen objects (.o, .ko) or their snapshots; each is checked on its own')
      .option('--kernel <path>', 'a kernel directory (any layout check takes) or a Debian .deb (image, -dbg, headers); repeatable', (v: string, p: string[] = []) => [...p, v])
      .option('--kernels <file>', 'a file listing kernel directories and .debs, one per line')
      .option('--debian <series>', "the series' kernel packages the machine's apt sources offer (e.g. 6.1, 6.12), downloaded to the cache when not there")
      .option('--state <file>', 'the scan state: read (cells it has are not scanned again) and written back')
      .option('--shard <i/N>', 'scan only the i-th of N slices of the objects × kernels matrix (kernels first)')
      .addOption(new Option('--type-source <source>', 'vmlinux type information to compare interfaces with').choices(['auto', 'btf', 'dwarf', 'none']).default('auto'))
      .addOption(new Option('--as-is', '.ko files are loaded unchanged (default for .ko)').conflicts('relink'))
      .addOption(new Option('--relink', 'the objects are relinked by the new tree (default for .o)').conflicts('asIs'))
      .option('--signatures <dir>', 'a build-primitive catalogue other than the bundled signatures/')
      .option('--no-progress', 'say nothing on stderr while scanning'),
  ).action(
    async (
      objects: string[],
      flags: TimelineFlags & { kernel?: string[]; kernels?: string; debian?: string; state?: string; shard?: string; typeSource: 'auto' | 'btf' | 'dwarf' | 'none'; asIs?: boolean; relink?: boolean; signatures?: string; progress?: boolean },
    ) => {
      const paths = [...(flags.kernel ?? []), ...(flags.kernels ? readKernelList(flags.kernels) : [])];
      if (flags.debian) paths.push(...debianKernelPackages(flags.debian, io.stderr));
      if (paths.length === 0) throw new UsageError('give kernels with --kernel, --kernels or --debian');
      const previous = flags.state ? readState(flags.state, true) : emptyState();
      const live = io.stderr.isTTY === true;
      const progress = flags.progress !== false && live ? new StderrProgress({ stream: io.stderr, live, clock: io.clock }) : SILENT_PROGRESS;
      const result = await scan({
        objects,
        kernels: kernelInputs(paths),
        previous,
        shard: flags.shard ? parseShard(flags.shard) : undefined,
        check: { typeSource: flags.typeSource, use: flags.asIs ? 'as-is' : flags.relink ? 'relinked' : undefined, signatures: flags.signatures },
        progress,
      }).finally(() => progress.done());
      if (flags.state) writeOutputFile(flags.state, renderState(result.state), 'scan state');
      io.stderr.write(`relinkable scan: ${result.kernelsRead.length} kernel(s) read, ${result.scanned.length} cell(s) scanned\n`);
      setExit(finish(result.state, previous, flags, io));
    },
  );

  program
    .command('drift')
    .description('what a frozen object could feel between consecutive releases of a series: exports removed, exported prototypes and reachable layouts changed, build-primitive options changed (Markdown)')
    .option('--kernel <path>', 'a kernel directory or a Debian .deb; repeatable', (v: string, p: string[] = []) => [...p, v])
    .option('--kernels <file>', 'a file listing kernel directories and .debs, one per line')
    .action(async (flags: { kernel?: string[]; kernels?: string }) => {
      const paths = [...(flags.kernel ?? []), ...(flags.kernels ? readKernelList(flags.kernels) : [])];
      if (paths.length < 2) throw new UsageError('drift compares releases: give at least two kernels with --kernel or --kernels');
      io.stdout.write(renderDriftMarkdown(await seriesDrift(kernelInputs(paths))));
    });

  timelineOptions(
    program
      .command('merge')
      .description('put the states of scan shards together and render the timeline one run would have given')
      .argument('<states...>', 'scan state files (scan --state) of the shards')
      .option('--state <file>', 'also write the merged state')
      .option('--previous <file>', 'the state of the previous run: what is new is said against it'),
  ).action((states: string[], flags: TimelineFlags & { state?: string; previous?: string }) => {
    const merged = mergeStates(states.map((file) => ({ state: readState(file), file })));
    if (flags.state) writeOutputFile(flags.state, renderState(merged), 'scan state');
    setExit(finish(merged, flags.previous ? readState(flags.previous) : emptyState(), flags, io));
  });
}
