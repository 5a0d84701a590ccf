// The DNS service as `triad run` starts it.
import type { RunOptions, Service } from '../service.js';

export async function createDnsService(_opts: RunOptions): Promise<Service | undefined> {
  return undefined;
}
