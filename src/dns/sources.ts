// The sources of the answer pipeline, in the order they are asked (pipeline.ts):
// the first that answers wins; a query nobody answers is REFUSED, as BIND with
// recursion off answers a name it holds no zone for. A new source (a response
// policy zone, a secondary zone, a forward zone…) is a module in sources/ and a
// line here, placed where it must take precedence.

import type { Source } from './pipeline.js';
import { updateSource } from './sources/update.js';
import { notifySource } from './sources/notify.js';
import { transferSource } from './sources/transfer.js';
import { chaosSource } from './sources/chaos.js';
import { authoritativeSource } from './sources/authoritative.js';
import { recursionSource } from './sources/recursion.js';

export const SOURCES: readonly Source[] = [
  updateSource, // UPDATE: REFUSED or NOTAUTH (RFC 2136)
  notifySource, // NOTIFY: acknowledged for our zones (RFC 1996)
  transferSource, // AXFR/IXFR of our zones (RFC 5936, RFC 1995)
  chaosSource, // version.bind, hostname.bind, id.server (class CH)
  authoritativeSource, // names in our zones
  recursionSource, // other names, when recursion is on
];
