// `triad leases`: the active leases of the lease file (address, MAC, hostname, expiry),
// like ISC's dhcp-lease-list. `--leases FILE` or the file `triad run` would use; `--all`
// lists every record.

import { existsSync, readFileSync } from 'node:fs';
import type { ParsedArgs } from '../args.js';
import { runOptionsFrom } from '../main.js';
import { formatIPv4 } from '../config/dhcp-options.js';
import { DiagnosticSink, formatDiagnostic } from '../config/diagnostics.js';
import { parseDhcpdConf } from '../config/dhcpd-conf.js';
import { parseLeaseFile } from './lease-file.js';
import { dhcpdConfPath, leaseFilePath } from './paths.js';

export async function leasesCommand(args: ParsedArgs): Promise<number> {
  const opts = runOptionsFrom(args);
  let leaseConf;
  const confFile = dhcpdConfPath(opts);
  if (confFile && existsSync(confFile) && !opts.files['leases']) leaseConf = parseDhcpdConf(confFile).conf;
  const file = leaseFilePath(opts, leaseConf);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    process.stderr.write(`triad leases: ${file}: ${(e as Error).message}\n`);
    return 1;
  }
  const { leases } = parseLeaseFile(file, text);
  const now = Date.now() / 1000;
  const all = args.options['all'] === true;
  const rows = [...leases.values()]
    .filter((l) => all || (l.state === 'active' && l.ends > now))
    .sort((a, b) => a.ip - b.ip)
    .map((l) => [
      formatIPv4(l.ip),
      l.hwAddr ? Array.from(l.hwAddr).map((b) => b.toString(16).padStart(2, '0')).join(':') : '-',
      l.hostname ?? '-',
      l.ends === Infinity ? 'never' : new Date(l.ends * 1000).toISOString().replace('.000', ''),
      ...(all ? [l.state] : []),
    ]);
  const head = ['IP', 'MAC', 'HOSTNAME', 'EXPIRES', ...(all ? ['STATE'] : [])];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  process.stdout.write([line(head), ...rows.map(line)].join('\n') + '\n');
  return 0;
}

/** For `triad check`: every error and warning of a dhcpd.conf; true when it has no error. */
export function checkDhcpdConf(file: string, report: (text: string, severity: 'error' | 'warning') => void): boolean {
  const sink = new DiagnosticSink();
  parseDhcpdConf(file, undefined, sink);
  for (const d of sink.items) report(formatDiagnostic(d), d.severity);
  return !sink.hasErrors();
}
