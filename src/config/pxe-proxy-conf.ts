// CONF_DIR/pxe-proxy.conf: proxyDHCP (PXE 2.1 §2.2.3) in the words of dnsmasq's
// configuration, so a dnsmasq user's lines carry over:
//
//   dhcp-range=192.168.1.0,proxy[,255.255.255.0]   the LANs answered (a router hands out addresses)
//   interface=eth0                                  optional; else every interface in a proxy range
//   dhcp-boot=[tag:T,]FILE[,SERVERNAME[,SERVERADDR]]
//   pxe-service=[tag:T,]CSA,"menu text",FILE[,SERVERADDR]   a boot file per client architecture
//   dhcp-userclass=set:T,TEXT                       tag clients whose user class holds TEXT (iPXE)
//   dhcp-vendorclass=set:T,TEXT                     tag clients whose vendor class starts with TEXT
//
// One `key=value` per line, `#` comments, values separated by commas, "quoted" values
// may hold commas. Mistakes are diagnostics at file:line:col.

import { loadConfigFile } from './config-file.js';
import type { DiagnosticSink, Position } from './diagnostics.js';
import { ipv4Mask, parseIPv4 } from '../wire/ipv4.js';

/** PXE client system architectures (RFC 4578 §2.1) by dnsmasq's CSA names. */
export const PXE_ARCH: Readonly<Record<string, number>> = {
  x86pc: 0,
  'pc98': 1,
  'ia64_efi': 2,
  'alpha': 3,
  'arc_x86': 4,
  'intel_lean_client': 5,
  'ia32_efi': 6,
  'x86-64_efi': 7,
  'bc_efi': 7,
  'xscale_efi': 8,
  'x86-64_efi_alt': 9,
  'arm32_efi': 10,
  'arm64_efi': 11,
};

export interface ProxyRange {
  network: number;
  prefixLen: number;
  pos: Position;
}

export interface BootChoice {
  /** Tags that must all be set (`tag:T`) or unset (`tag:!T`). */
  tags: { name: string; negate: boolean }[];
  /** Client architecture (option 93) this applies to; undefined for any (dhcp-boot). */
  arch?: number;
  file: string;
  serverName?: string;
  serverAddress?: number;
  pos: Position;
}

export interface ClassTag {
  tag: string;
  /** 77 user class (substring) or 60 vendor class (prefix). */
  option: 77 | 60;
  text: string;
}

export interface PxeProxyConf {
  ranges: ProxyRange[];
  interfaces: string[];
  /** pxe-service lines, in file order. */
  services: BootChoice[];
  /** dhcp-boot lines, in file order. */
  boots: BootChoice[];
  classes: ClassTag[];
}

interface Field {
  text: string;
  pos: Position;
}

/** Splits `a,"b,c",d` into fields with their columns; quotes are removed. */
function splitFields(value: string, pos: Position): Field[] {
  const out: Field[] = [];
  let cur = '';
  let start = 0;
  let quoted = false;
  for (let i = 0; i <= value.length; i++) {
    const ch = value[i];
    if (i === value.length || (ch === ',' && !quoted)) {
      out.push({ text: cur.trim(), pos: { ...pos, col: pos.col + start } });
      cur = '';
      start = i + 1;
    } else if (ch === '"') quoted = !quoted;
    else cur += ch;
  }
  return out;
}

/** Leading `tag:T` / `tag:!T` fields. */
function takeTags(fields: Field[]): BootChoice['tags'] {
  const tags: BootChoice['tags'] = [];
  while (fields.length && /^tag:/.test(fields[0].text)) {
    const t = fields.shift()!.text.slice(4);
    tags.push(t.startsWith('!') ? { name: t.slice(1), negate: true } : { name: t, negate: false });
  }
  return tags;
}

function address(f: Field | undefined, sink: DiagnosticSink): number | undefined {
  if (!f || f.text === '') return undefined;
  const ip = parseIPv4(f.text);
  if (ip === undefined) sink.error(f.pos, `${f.text}: an IPv4 address is expected`);
  return ip;
}

export function parsePxeProxyConf(file: string, text: string, sink: DiagnosticSink): PxeProxyConf {
  sink.addSource(file, text);
  const conf: PxeProxyConf = { ranges: [], interfaces: [], services: [], boots: [], classes: [] };
  const lines = text.split(/\r?\n/);
  for (let ln = 0; ln < lines.length; ln++) {
    const raw = lines[ln];
    const lead = raw.length - raw.trimStart().length;
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    const at: Position = { file, line: ln + 1, col: lead + 1 };
    const valuePos: Position = { file, line: ln + 1, col: lead + eq + 2 };
    const value = eq < 0 ? '' : line.slice(eq + 1);
    const fields = splitFields(value, valuePos);
    switch (key) {
      case 'dhcp-range': {
        takeTags(fields);
        const [net, mode, mask] = fields;
        const ip = address(net, sink);
        if (!mode || mode.text !== 'proxy') {
          sink.error(mode?.pos ?? valuePos, 'only proxy ranges are read here: dhcp-range=NETWORK,proxy[,NETMASK] (addresses are handed out by dhcpd.conf)');
          break;
        }
        let prefixLen = 24;
        if (mask && mask.text) {
          const m = parseIPv4(mask.text);
          const bits = m === undefined ? -1 : ([...Array(33).keys()].find((n) => ipv4Mask(n) >>> 0 === m >>> 0) ?? -1);
          if (bits < 0) sink.error(mask.pos, `${mask.text}: a netmask is expected`);
          else prefixLen = bits;
        }
        if (ip !== undefined) conf.ranges.push({ network: (ip & ipv4Mask(prefixLen)) >>> 0, prefixLen, pos: at });
        break;
      }
      case 'interface':
        for (const f of fields) if (f.text) conf.interfaces.push(f.text);
        break;
      case 'dhcp-boot': {
        const tags = takeTags(fields);
        const [f, name, addr] = fields;
        if (!f || !f.text) {
          sink.error(valuePos, 'dhcp-boot needs a file name');
          break;
        }
        conf.boots.push({ tags, file: f.text, serverName: name?.text || undefined, serverAddress: address(addr, sink), pos: at });
        break;
      }
      case 'pxe-service': {
        const tags = takeTags(fields);
        const [csa, , base, addr] = fields;
        const arch = csa ? PXE_ARCH[csa.text.toLowerCase()] : undefined;
        if (arch === undefined) {
          sink.error(csa?.pos ?? valuePos, `${csa?.text ?? ''}: a client architecture is expected (x86PC, BC_EFI, X86-64_EFI, ARM64_EFI, …)`);
          break;
        }
        if (!base || !base.text) {
          sink.error(valuePos, 'pxe-service needs a boot file name (local boot menus are not offered)');
          break;
        }
        // dnsmasq: the ".0" of a BIOS loader is implied ("pxelinux" means pxelinux.0).
        const file = arch === 0 && !base.text.includes('.') && !base.text.includes('/') ? `${base.text}.0` : base.text;
        conf.services.push({ tags, arch, file, serverAddress: address(addr, sink), pos: at });
        break;
      }
      case 'dhcp-userclass':
      case 'dhcp-vendorclass': {
        const [set, t] = fields;
        if (!set || !/^set:./.test(set.text) || !t || !t.text) {
          sink.error(valuePos, `${key}=set:TAG,TEXT is expected`);
          break;
        }
        conf.classes.push({ tag: set.text.slice(4), option: key === 'dhcp-userclass' ? 77 : 60, text: t.text });
        break;
      }
      default:
        sink.error(at, `${key}: not a proxyDHCP setting (dhcp-range, interface, dhcp-boot, pxe-service, dhcp-userclass, dhcp-vendorclass)`);
    }
  }
  if (!conf.ranges.length && !conf.interfaces.length) sink.error({ file, line: 1, col: 1 }, 'no dhcp-range=NETWORK,proxy and no interface=: no LAN to answer on');
  if (!conf.boots.length && !conf.services.length) sink.error({ file, line: 1, col: 1 }, 'no dhcp-boot or pxe-service: no boot file to offer');
  return conf;
}

export function loadPxeProxyConf(file: string, sink: DiagnosticSink): PxeProxyConf | undefined {
  return loadConfigFile(file, sink, parsePxeProxyConf);
}
