// The Forge tests CI runs against Triad: those ISC dhcpd 4.4 passes that can run against an
// ISC-style server (many of Forge's generic tests call Kea-only functions: control channels,
// hooks, database backends, Kea's lease files and logs).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NotRun {
  id: string;
  reason: string;
}

export interface ForgeSet {
  name: string;
  description: string;
  /** pytest arguments, and the test ids that must report (empty: whatever the files hold). */
  args(suite: string): { pytest: string[]; expected: string[] };
  /** Tests of the set's files left out on purpose, with why. */
  notRun(suite: string): NotRun[];
}

const lines = (file: string): string[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Source-tree lists live beside the .ts files (dist/test/forge → test/forge). */
const listFile = (name: string): string => path.resolve(HERE, '..', '..', '..', 'test', 'forge', name);

const ISCDHCP_NOT_RUN: NotRun[] = [
  {
    id: 'tests/iscdhcp/v4/test_dhcpd_keyword_use-host-decl-names.py::test_v4_dhcpd_keyword_use_host_decl_names_on',
    reason:
      'ISC dhcpd fails it too: its BOOTP step sends chaddr ff:01:02:03:ff:04 (the helper\'s default), not the ' +
      'host declaration\'s MAC, and expects the host\'s fixed address back; no server should answer that. ' +
      'The documented part (option 12 = the host declaration\'s name) is covered by the _override test and the unit tests.',
  },
];

const EXTRA_NOT_RUN: NotRun[] = [
  {
    id: 'tests/dhcp/protocol/test_standard_options.py::test_v4_options_dhcp_option_overload',
    reason:
      'ISC dhcpd passes it by sending a configured option 52 although file/sname hold no options; Triad ' +
      'writes option 52 only when it overloads those fields (RFC 2132 §9.3), a deliberate difference (README).',
  },
];

export const FORGE_SETS: Record<string, ForgeSet> = {
  iscdhcp: {
    name: 'iscdhcp',
    description: "tests/iscdhcp/v4 (dhcpd.conf keywords: billing classes, dhcp-cache-threshold, echo-client-id, use-host-decl-names)",
    args: (suite) => ({
      pytest: [...lines(path.join(suite, 'forge-kit', 'iscdhcp-v4.files')), ...ISCDHCP_NOT_RUN.flatMap((n) => ['--deselect', n.id])],
      expected: [],
    }),
    notRun: () => ISCDHCP_NOT_RUN,
  },
  protocol: {
    name: 'protocol',
    description: 'the 37 generic protocol tests ISC dhcpd passes (test_v4_{fields,options_inform,release,request,relay}.py)',
    args: (suite) => {
      const ids = lines(path.join(suite, 'forge-kit', 'reference-protocol.passed'));
      return { pytest: ids, expected: ids };
    },
    notRun: () => [],
  },
  extra: {
    name: 'extra',
    description: "more of Forge's v4 tree that ISC dhcpd passes (test/forge/extra-v4.list)",
    args: () => {
      const ids = lines(listFile('extra-v4.list'));
      return { pytest: ids, expected: ids };
    },
    notRun: () => EXTRA_NOT_RUN,
  },
};
