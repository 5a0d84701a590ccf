// `triad checkzone` and `triad compilezone`, BIND's named-checkzone/named-compilezone.
// Relative file names and $INCLUDE paths resolve against the current directory,
// as those tools do. The work is done by pure functions returning the exit code and
// the text for stdout/stderr, so tests run them without a process each.
import type { ParsedArgs } from '../args.js';
import { formatDiagnostic } from '../config/diagnostics.js';
import { parseZoneFile } from '../config/zone-file.js';
import { DiagnosticSink } from '../config/diagnostics.js';
import { loadZoneFile, loadZoneText, type ZoneLoadOptions, type ZoneLoadResult } from './zone-loader.js';
import { compileZoneText, CompileError } from './compile.js';
import { classFromText, CLASS_IN } from '../wire/rr-type.js';
import { nameKey, parseName } from '../wire/dns-name.js';

export type CheckNamesMode = 'fail' | 'warn' | 'ignore';

export interface ZoneCommandOptions {
  zone: string;
  file: string;
  /** Base for a relative file and $INCLUDE (the working directory for the commands). */
  directory: string;
  cls?: number;
  /** named-checkzone -k: warn by default for checkzone, fail for compilezone (as BIND). */
  checkNames?: CheckNamesMode;
  quiet?: boolean;
  /** The file's text when the caller already has it (tests); read from `file` otherwise. */
  text?: string;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

function load(o: ZoneCommandOptions, extra: Partial<ZoneLoadOptions>): ZoneLoadResult {
  const base = { origin: o.zone, file: o.file, directory: o.directory, class: o.cls, ...extra };
  return o.text === undefined ? loadZoneFile(base) : loadZoneText({ ...base, text: o.text });
}

function zoneLabel(zone: string): string {
  const z = zone.endsWith('.') && zone.length > 1 ? zone.slice(0, -1) : zone;
  return `zone ${z}/IN`;
}

/**
 * The one line printed when Triad itself fails on an input (a bug, never the
 * user's mistake): the file and, when known, the line it was reading.
 */
function internalError(cmd: string, o: ZoneCommandOptions, e: unknown, where?: { line: number; what?: string }): CommandResult {
  const msg = e instanceof Error ? e.message : String(e);
  const at = where ? `${o.file}:${where.line}${where.what ? ` (${where.what})` : ''}` : o.file;
  return { code: 1, stdout: '', stderr: `triad ${cmd}: internal error while processing ${at}: ${msg.split('\n')[0]}\n` };
}

/** named-checkzone ZONE FILE. */
export function checkzone(o: ZoneCommandOptions): CommandResult {
  try {
    const res = load(o, { checkNames: o.checkNames ?? 'warn' });
    let stderr = '';
    let stdout = '';
    if (!o.quiet) for (const d of res.diagnostics) stderr += formatDiagnostic(d) + '\n';
    if (!res.zone) {
      if (!o.quiet) stdout += `${zoneLabel(o.zone)}: not loaded due to errors.\n`;
      return { code: 1, stdout, stderr };
    }
    if (!o.quiet) stdout += `${zoneLabel(o.zone)}: loaded serial ${res.zone.serial}\nOK\n`;
    return { code: 0, stdout, stderr };
  } catch (e) {
    return internalError('checkzone', o, e);
  }
}

/** named-compilezone -s full -o - ZONE FILE. */
export function compilezone(o: ZoneCommandOptions): CommandResult {
  try {
    // named-compilezone's defaults: check-names fail (its -k), NS-as-address fatal (its -n).
    const res = load(o, { checkNames: o.checkNames ?? 'fail', checkNsAddress: 'fail' });
    let stderr = '';
    if (!o.quiet) for (const d of res.diagnostics) stderr += formatDiagnostic(d) + '\n';
    if (!res.zone || !res.records) {
      if (!o.quiet) stderr += `${zoneLabel(o.zone)}: not loaded due to errors.\n`;
      return { code: 1, stdout: '', stderr };
    }
    try {
      return { code: 0, stdout: compileZoneText(res.records).join('\n') + '\n', stderr };
    } catch (e) {
      if (e instanceof CompileError) return internalError('compilezone', o, e, { line: lineOf(o, e.owner, e.type), what: e.record });
      throw e;
    }
  } catch (e) {
    return internalError('compilezone', o, e);
  }
}

/** Where a record of owner/type was written (only looked up when reporting an internal error). */
function lineOf(o: ZoneCommandOptions, owner: Uint8Array, type: number): number {
  try {
    const origin = parseName(o.zone.endsWith('.') ? o.zone : `${o.zone}.`);
    const entries = parseZoneFile({ file: o.file, text: o.text, origin, directory: o.directory, sink: new DiagnosticSink() });
    const k = nameKey(owner);
    return entries.find((e) => e.type === type && nameKey(e.owner) === k)?.pos.line ?? 0;
  } catch {
    return 0;
  }
}

function zoneArgs(args: ParsedArgs, cmd: string): ZoneCommandOptions | undefined {
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
  const quiet = args.options.q === true || args.options.quiet === true || args.positionals.includes('-q');
  return { zone, file, cls: c, directory: process.cwd(), quiet };
}

/** `--check-names fail|warn|ignore`, named-checkzone's -k. */
function checkNamesMode(args: ParsedArgs): CheckNamesMode | undefined | false {
  const v = args.options['check-names'];
  if (v === undefined) return undefined;
  if (v === 'fail' || v === 'warn' || v === 'ignore') return v;
  process.stderr.write(`--check-names must be fail, warn or ignore\n`);
  return false;
}

function emit(r: CommandResult): number {
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  return r.code;
}

export async function checkzoneCommand(args: ParsedArgs): Promise<number> {
  const a = zoneArgs(args, 'checkzone');
  const mode = checkNamesMode(args);
  if (!a || mode === false) return 2;
  return emit(checkzone({ ...a, checkNames: mode }));
}

export async function compilezoneCommand(args: ParsedArgs): Promise<number> {
  const a = zoneArgs(args, 'compilezone');
  const mode = checkNamesMode(args);
  if (!a || mode === false) return 2;
  return emit(compilezone({ ...a, checkNames: mode }));
}
