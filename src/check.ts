// `triad check`: load every configuration `triad run` would, report every error
// and warning with file:line:col and a caret, exit non-zero when any error was
// found. Like `named-checkconf -z`: zones are loaded too. Each service checks its
// own file (its definition's `check`); this loops over the service list.

import type { ParsedArgs } from './args.js';
import { formatDiagnostic, type Diagnostic } from './config/diagnostics.js';
import { runOptionsFrom, type RunOptions, type ServiceDefinition } from './service.js';
import { SERVICES } from './services.js';

export interface CheckOutput {
  /** Diagnostics, printed to stderr. */
  diagnostic(d: Diagnostic): void;
  /** Progress lines such as `zone X/IN: loaded serial N`, printed to stdout. */
  info(line: string): void;
  /** A file that could not be checked at all. */
  error(file: string, message: string): void;
}

/**
 * Checks every configured service of `defs`; false when any has an error. `found`
 * counts the files checked (0: nothing is configured).
 */
export async function checkServices(defs: readonly ServiceDefinition[], opts: RunOptions, out: CheckOutput): Promise<{ ok: boolean; found: number }> {
  let found = 0;
  let ok = true;
  for (const def of defs) {
    // A file named on the command line is reported by that name even when it is missing.
    let file = opts.files[def.config.option];
    let counted = false;
    try {
      file = def.locate(opts);
      if (!file) continue;
      found++;
      counted = true;
      const r = await def.check(file, opts);
      for (const d of r.diagnostics) out.diagnostic(d);
      for (const line of r.info) out.info(line);
      if (r.diagnostics.some((d) => d.severity === 'error')) ok = false;
    } catch (err) {
      if (!counted) found++;
      out.error(file ?? def.name, err instanceof Error ? err.message : String(err));
      ok = false;
    }
  }
  return { ok, found };
}

export async function checkCommand(args: ParsedArgs): Promise<number> {
  const opts = runOptionsFrom(args);
  const out: CheckOutput = {
    diagnostic: (d) => process.stderr.write(formatDiagnostic(d) + '\n'),
    info: (line) => process.stdout.write(line + '\n'),
    error: (file, message) => process.stderr.write(message.startsWith(`${file}:`) ? `${message}\n` : `${file}: error: ${message}\n`),
  };
  const { ok, found } = await checkServices(SERVICES, opts, out);
  if (found === 0) {
    process.stderr.write(`triad check: no configuration found in ${opts.confDir}\n`);
    return 1;
  }
  return ok ? 0 : 1;
}
