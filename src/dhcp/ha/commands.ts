// Kea's control-channel commands as the HA partner sends them: a POST of
// {"command", "service": ["dhcp4"], "arguments"} answered by [{"result", "text", "arguments"}]
// (result 0 success, 1 error, 2 unsupported, 3 empty; Kea's control agent shape). The
// request is checked (size, basic auth, JSON, service, arguments) before anything changes;
// every refusal is counted. A lease from the partner is on disk before it is acknowledged.

import { timingSafeEqual } from 'node:crypto';
import type { Lease } from '../lease.js';
import { leaseFromKea, leaseToKea } from './lease-json.js';
import { parseIPv4 } from '../../wire/ipv4.js';

/** Largest request body accepted (a page of leases is sent by us, not received). */
export const MAX_COMMAND_BYTES = 64 * 1024;

export interface HaCommandStats {
  commands: number;
  refusedAuth: number;
  refusedJson: number;
  refusedSize: number;
  refusedLease: number;
  unsupported: number;
  leaseUpdatesReceived: number;
}

export const newCommandStats = (): HaCommandStats => ({ commands: 0, refusedAuth: 0, refusedJson: 0, refusedSize: 0, refusedLease: 0, unsupported: 0, leaseUpdatesReceived: 0 });

/** What the commands read and change in the running server. */
export interface HaCommandHost {
  heartbeat(): { state: string; 'date-time': string; scopes: string[]; 'unsent-update-count': number };
  /** True when `ip` is on a subnet this server declares. */
  inSubnet(ip: number): boolean;
  /**
   * The subnet id of `ip` as Kea numbers subnets without an "id": 1, 2, … in the order of
   * dhcpd.conf (Kea's lease synchronisation wants a positive one).
   */
  subnetId(ip: number): number;
  /** Writes the lease durably, then applies it to memory. */
  storeLease(l: Lease): Promise<void>;
  /** Frees the lease of `ip` (durably); false when there was none. */
  deleteLease(ip: number, nowSec: number): Promise<boolean>;
  /** Up to `limit` lease records with addresses above `after` (0: from the start), in address order. */
  leasesAfter(after: number, limit: number): Lease[];
  setDhcpEnabled(enabled: boolean, origin: string, maxPeriod?: number): void;
  syncCompleteNotified(): void;
  continueStateMachine(): string;
  /** Kea's controlled shutdown: `cancel` is ha-maintenance-notify's argument. */
  maintenance(op: 'start' | 'notify' | 'cancel', cancel: boolean): Promise<{ result: number; text: string }>;
  setScopes(scopes: string[]): string | undefined;
}

export interface HaHttpRequest {
  /** The Authorization header, if any. */
  authorization?: string;
  body: Buffer;
  /** The body was cut off at MAX_COMMAND_BYTES. */
  oversize?: boolean;
}

export interface HaHttpResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface Credentials {
  user: string;
  password: string;
}

const answer = (result: number, text: string, args?: unknown): HaHttpResponse => ({ status: 200, body: [{ result, text, ...(args !== undefined ? { arguments: args } : {}) }] });

function authorized(header: string | undefined, want: Credentials): boolean {
  const m = header ? /^Basic\s+([A-Za-z0-9+/=]+)$/.exec(header) : null;
  if (!m) return false;
  const got = Buffer.from(m[1], 'base64');
  const exp = Buffer.from(`${want.user}:${want.password}`);
  return got.length === exp.length && timingSafeEqual(got, exp);
}

/** Handles one HTTP request of the partner. */
export async function handleHaCommand(host: HaCommandHost, auth: Credentials | undefined, req: HaHttpRequest, stats: HaCommandStats, nowSec: number): Promise<HaHttpResponse> {
  if (req.oversize) {
    stats.refusedSize++;
    return { status: 413, body: { result: 1, text: `request larger than ${MAX_COMMAND_BYTES} bytes` } };
  }
  if (auth && !authorized(req.authorization, auth)) {
    stats.refusedAuth++;
    return { status: 401, body: { result: 1, text: 'Unauthorized' }, headers: { 'WWW-Authenticate': 'Basic realm="triad-ha"' } };
  }
  let msg: unknown;
  try {
    msg = JSON.parse(req.body.toString('utf8'));
  } catch (e) {
    stats.refusedJson++;
    return { status: 400, body: { result: 1, text: `invalid JSON: ${(e as Error).message}` } };
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg) || typeof (msg as { command?: unknown }).command !== 'string') {
    stats.refusedJson++;
    return { status: 400, body: { result: 1, text: "expecting an object with a 'command' string" } };
  }
  const { command, service, arguments: args } = msg as { command: string; service?: unknown; arguments?: unknown };
  if (service !== undefined && (!Array.isArray(service) || service.some((s) => s !== 'dhcp4'))) {
    stats.refusedJson++;
    return answer(1, "'service' must be [\"dhcp4\"]");
  }
  if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args))) {
    stats.refusedJson++;
    return answer(1, "'arguments' must be an object");
  }
  const a = (args ?? {}) as Record<string, unknown>;
  stats.commands++;
  switch (command) {
    case 'ha-heartbeat':
      return answer(0, 'HA peer status returned.', host.heartbeat());
    case 'lease4-update': {
      const l = leaseFromKea(a, nowSec);
      if (typeof l === 'string') {
        stats.refusedLease++;
        return answer(1, l);
      }
      if (!host.inSubnet(l.ip)) {
        stats.refusedLease++;
        return answer(1, `address ${a['ip-address'] as string} is not on any subnet of this server`);
      }
      await host.storeLease(l);
      stats.leaseUpdatesReceived++;
      return answer(0, `IPv4 lease updated.`);
    }
    case 'lease4-del': {
      const ip = typeof a['ip-address'] === 'string' ? parseIPv4(a['ip-address']) : undefined;
      if (ip === undefined) {
        stats.refusedLease++;
        return answer(1, "missing or bad 'ip-address'");
      }
      if (!host.inSubnet(ip)) {
        stats.refusedLease++;
        return answer(1, `address ${a['ip-address'] as string} is not on any subnet of this server`);
      }
      const found = await host.deleteLease(ip, nowSec);
      return found ? answer(0, 'IPv4 lease deleted.') : answer(3, 'IPv4 lease not found.');
    }
    case 'lease4-get-page': {
      const from = a['from'];
      const limit = a['limit'];
      const after = from === 'start' ? 0 : typeof from === 'string' ? parseIPv4(from) : undefined;
      if (after === undefined || typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 0xffffffff) {
        stats.refusedJson++;
        return answer(1, "lease4-get-page needs 'from' (\"start\" or an address) and a positive 'limit'");
      }
      const page = host.leasesAfter(after, Math.min(limit, 10000));
      if (page.length === 0) return answer(3, '0 IPv4 lease(s) found.', { leases: [], count: 0 });
      return answer(0, `${page.length} IPv4 lease(s) found.`, { leases: page.map((l) => leaseToKea(l, host.subnetId(l.ip), 'page')), count: page.length });
    }
    case 'dhcp-disable':
    case 'dhcp-enable': {
      const origin = a['origin'] === undefined ? 'user' : String(a['origin']);
      const max = a['max-period'];
      if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1)) return answer(1, "'max-period' must be a positive whole number");
      host.setDhcpEnabled(command === 'dhcp-enable', origin, max as number | undefined);
      return answer(0, command === 'dhcp-enable' ? 'DHCP service successfully enabled' : 'DHCPv4 service disabled');
    }
    case 'ha-sync-complete-notify':
      host.syncCompleteNotified();
      return answer(0, 'Server successfully notified about the synchronization completion.');
    case 'ha-continue':
      return answer(0, host.continueStateMachine());
    case 'ha-maintenance-start':
    case 'ha-maintenance-notify':
    case 'ha-maintenance-cancel': {
      const cancel = a['cancel'];
      if (cancel !== undefined && typeof cancel !== 'boolean') return answer(1, "'cancel' must be true or false");
      const r = await host.maintenance(command.slice('ha-maintenance-'.length) as 'start' | 'notify' | 'cancel', cancel === true);
      return answer(r.result, r.text);
    }
    case 'ha-scopes': {
      const s = a['scopes'];
      if (!Array.isArray(s) || s.some((x) => typeof x !== 'string')) return answer(1, "'scopes' must be a list of server names");
      const err = host.setScopes(s as string[]);
      return err ? answer(1, err) : answer(0, 'New HA scopes configured.');
    }
    case 'list-commands':
      return answer(0, 'list of commands', [...SUPPORTED]);
    default:
      stats.unsupported++;
      return answer(2, `'${command}' command not supported.`);
  }
}

export const SUPPORTED = ['ha-heartbeat', 'lease4-update', 'lease4-del', 'lease4-get-page', 'dhcp-disable', 'dhcp-enable', 'ha-sync-complete-notify', 'ha-continue', 'ha-maintenance-start', 'ha-maintenance-notify', 'ha-maintenance-cancel', 'ha-scopes', 'list-commands'] as const;
