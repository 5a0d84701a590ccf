// `triad checkzone` and `triad compilezone`, BIND's named-checkzone/named-compilezone.
// Relative file names and $INCLUDE paths resolve against the current directory,
// as those tools do.
import type { ParsedArgs } from '../args.js';
import { formatDiagnostic } from '../config/diagnostics.js';
import { loadZoneFile } from './zone-loader.js';
import { compileZoneText } from './compile.js';
import { classFromText, CLASS_IN } from './rr.js';

function zoneArgs(args: ParsedArgs, cmd: string): { zone: string; file: string; cls: number } | undefined {
  // `-q` as named-checkzone spells it (the shared parser only knows `--` options).
  const pos = args.positionals.filter((p) => p !== '-q');
  const [zone, file] = pos;
  if (!zone || !file || pos.length > 2) {
    process.stderr.write(`usage: triad ${cmd} [--class IN] [--check-names fail|warn|ignore] ZONE FILE\n`);
    return undefined;
  }
  const c = typeof args.options.class === 'string' ? classFromText(args.options.class) : CLASS_IN;
  if (c === undefined) {
    process.stderr.write(`triad ${cmd}: unknown class '${String(args.options.class)}'\n`);
    return undefined;
  }
  return { zone, file, cls: c };
}

function zoneLabel(zone: string): string {
  const z = zone.endsWith('.') && zone.length > 1 ? zone.slice(0, -1) : zone;
  return `zone ${z}/IN`;
}

/** `--check-names fail|warn|ignore`, named-checkzone's -k (warn by default). */
function checkNamesMode(args: ParsedArgs): 'fail' | 'warn' | 'ignore' | undefined {
  const v = args.options['check-names'];
  if (v === undefined) return undefined;
  if (v === 'fail' || v === 'warn' || v === 'ignore') return v;
  process.stderr.write(`--check-names must be fail, warn or ignore\n`);
  return 'warn';
}

export async function checkzoneCommand(args: ParsedArgs): Promise<number> {
  const a = zoneArgs(args, 'checkzone');
  if (!a) return 2;
  const quiet = args.options.q === true || args.options.quiet === true || args.positionals.includes('-q');
  const res = loadZoneFile({ origin: a.zone, file: a.file, directory: process.cwd(), class: a.cls, checkNames: checkNamesMode(args) });
  if (!quiet) for (const d of res.diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
  if (!res.zone) {
    if (!quiet) process.stdout.write(`${zoneLabel(a.zone)}: not loaded due to errors.\n`);
    return 1;
  }
  if (!quiet) process.stdout.write(`${zoneLabel(a.zone)}: loaded serial ${res.zone.serial}\nOK\n`);
  return 0;
}

export async function compilezoneCommand(args: ParsedArgs): Promise<number> {
  const a = zoneArgs(args, 'compilezone');
  if (!a) return 2;
  // named-compilezone's defaults: check-names ignored here (its -k), NS-as-address fatal (its -n).
  const res = loadZoneFile({
    origin: a.zone, file: a.file, directory: process.cwd(), class: a.cls, checkNames: checkNamesMode(args) ?? 'ignore',
    checkNsAddress: 'fail',
  });
  for (const d of res.diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
  if (!res.zone || !res.records) {
    process.stderr.write(`${zoneLabel(a.zone)}: not loaded due to errors.\n`);
    return 1;
  }
  process.stdout.write(compileZoneText(res.records).join('\n') + '\n');
  return 0;
}
