// Turns one query message into one response message. (Contract; being implemented.)
import type { Zone } from './zone.js';

export interface ClientInfo {
  /** Source address as text, IPv4-mapped prefix removed. */
  address: string;
  port: number;
  transport: 'udp' | 'tcp';
}

/** Decides whether a client address is allowed (built from a BIND address-match list). */
export type AddressMatcher = (address: string) => boolean;

export interface ServingView {
  zones: Zone[];
  /** options { allow-query }; BIND's default is any. */
  allowQuery: AddressMatcher;
  /** zone { allow-query }, keyed by nameKey(zone.origin); overrides allowQuery for that zone. */
  zoneAllowQuery: Map<string, AddressMatcher>;
  /** options { recursion }: this issue serves authoritative-only (recursion no). */
  recursion: boolean;
  /** options { version } for version.bind CH TXT; undefined hides it (REFUSED as BIND's `version none`). */
  version?: string;
  /** Our EDNS UDP payload size (BIND 9.18 default 1232). */
  udpSize: number;
}

export interface ResponderStats {
  queries: number;
  malformed: number;
  byRcode: Record<string, number>;
}
