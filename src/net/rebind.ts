// Reloading a server that listens on one address (TFTP, HTTP boot): new settings are
// applied in place while the address and port stay; otherwise a fresh server is bound
// on the new ones, and when that fails the old one is bound again and the error thrown,
// so a reload never leaves the service without a listener it had.

export interface Rebindable<C> {
  start(): Promise<void>;
  stop(): Promise<void>;
  setConf(conf: C): void;
}

export interface ListenSettings {
  address: string;
  port: number;
}

/**
 * The server now running: the same one with `next`, a fresh one on `next`'s address, or,
 * when that cannot be bound (`error`), one on `conf`'s address again.
 */
export async function reloadListener<C extends ListenSettings, S extends Rebindable<C>>(
  server: S | undefined,
  conf: C,
  next: C,
  make: (conf: C) => S,
  restoreFailed: (err: Error) => void,
): Promise<{ server: S; error?: unknown }> {
  if (server && next.address === conf.address && next.port === conf.port) {
    server.setConf(next);
    return { server };
  }
  const fresh = make(next);
  await server?.stop();
  try {
    await fresh.start();
  } catch (error) {
    const old = make(conf);
    await old.start().catch(restoreFailed);
    return { server: old, error };
  }
  return { server: fresh };
}
