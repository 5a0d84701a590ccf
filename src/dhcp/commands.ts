// `triad leases`: the active leases of the lease file (address, MAC, hostname, expiry),
// like ISC's dhcp-lease-list. `--leases FILE` or the file `triad run` would use; `--all`
// lists every record.

import { readFileSync } from 'node:fs';
import type { ParsedArgs } from '../args.js';
import { runOptionsFrom } from '../service.js';
import { parseDhcpdConf } from '../config/dhcpd-conf.js';
import { parseLeaseFile } from './lease-file.js';
import { formatLeaseTable, leaseRows } from './lease-table.js';
import { dhcpdConfPath, leaseFilePath } from './paths.js';

export async function leasesCommand(args: ParsedArgs): Promise<number> {
  let file: string;
  try {
    const opts = runOptionsFrom(args);
    const confFile = opts.files['leases'] ? undefined : dhcpdConfPath(opts);
    file = leaseFilePath(opts, confFile ? parseDhcpdConf(confFile).conf : undefined);
  } catch (e) {
    process.stderr.write(`triad leases: ${(e as Error).message}\n`);
    return 1;
  }
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch (e) {
    process.stderr.write(`triad leases: ${file}: ${(e as Error).message}\n`);
    return 1;
  }
  const { leases, sink } = parseLeaseFile(file, text);
  // A damaged file: the intact leases are listed, the damage is told on stderr.
  for (const d of sink.errors) process.stderr.write(`triad leases: ${d.file}:${d.line}:${d.col}: ${d.message}\n`);
  const all = args.options['all'] === true;
  process.stdout.write(formatLeaseTable(leaseRows(leases.values(), Date.now() / 1000, all), all));
  return 0;
}
