// Relay ↔ server in one process: a DHCP server of this process registers the addresses it
// serves on, and the relay agent hands a request meant for one of them straight to it (and
// gets the reply back) instead of sending it through the kernel, where a datagram to one of
// our own addresses would go over loopback and never reach the server's packet sockets.

export interface LocalDhcpServer {
  addresses: ReadonlySet<number>;
  /** A relayed BOOTREQUEST (encoded) addressed to `to`; `deliver` gets each reply meant for the relay. */
  accept(payload: Buffer, to: number, deliver: (reply: Buffer) => void): void;
}

const servers = new Set<LocalDhcpServer>();

/** Returns the function that unregisters it. */
export function registerLocalServer(s: LocalDhcpServer): () => void {
  servers.add(s);
  return () => servers.delete(s);
}

export function localServerFor(ip: number): LocalDhcpServer | undefined {
  for (const s of servers) if (s.addresses.has(ip)) return s;
  return undefined;
}
