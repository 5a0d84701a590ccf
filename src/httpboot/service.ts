// The HTTP boot server as a `triad run` service: reads TRIAD_HTTP_* from the TFTP file,
// serves, reloads (a broken file keeps the running settings; a new address or port
// rebinds the listener), and answers `triad ctl httpboot`.

import { reloadListener } from '../net/rebind.js';
import { loadHttpBoot, type HttpBootConf } from '../config/default-httpboot.js';
import { DiagnosticSink, formatDiagnostic } from '../config/diagnostics.js';
import { controlSocketPath, registerServiceControl, type ControlReply } from '../control/server.js';
import type { RunOptions, Service } from '../service.js';
import { HTTPBOOT_CONTROL, httpBootConfPath } from './definition.js';
import { HttpBootServer } from './server.js';

export async function createHttpBootService(opts: RunOptions): Promise<Service | undefined> {
  const file = httpBootConfPath(opts);
  if (!file) return undefined;
  const log = opts.log.child({ service: 'httpboot' });
  const read = (): HttpBootConf => {
    const sink = new DiagnosticSink();
    const conf = loadHttpBoot(file, sink);
    for (const w of sink.warnings) log.warn(formatDiagnostic(w));
    sink.throwIfErrors();
    if (!conf) throw new Error(`${file}: TRIAD_HTTP_ADDRESS is no longer set (restart Triad to stop the HTTP boot server)`);
    return conf;
  };
  let conf = read();
  let server: HttpBootServer | undefined;
  let closeControl: (() => Promise<void>) | undefined;

  const control = async (): Promise<ControlReply> => {
    const stats = server?.stats ?? { requests: 0, served: 0, refused: 0, bytesSent: 0 };
    const url = `http://${conf.address || '*'}:${conf.port}/`;
    const data = { directory: conf.directory, url, ...stats };
    const lines = [`serving ${conf.directory} on ${url}`, `requests: ${stats.requests}`, `served: ${stats.served}`, `refused: ${stats.refused}`, `bytes sent: ${stats.bytesSent}`];
    return { text: lines.join('\n') + '\n', data };
  };

  return {
    name: 'httpboot',
    async start() {
      server = new HttpBootServer(conf, log);
      await server.start();
      closeControl = await registerServiceControl(controlSocketPath(opts.dataDir, opts.flags['control-socket']), 'httpboot', HTTPBOOT_CONTROL, control);
    },
    async reload() {
      const next = read(); // throws for a broken file before anything changes
      const r = await reloadListener(server, conf, next, (c) => new HttpBootServer(c, log), (e) => log.error({ err: e.message }, 'httpboot: the previous address cannot be bound again either'));
      server = r.server;
      if (r.error !== undefined) throw r.error;
      conf = next;
    },
    async stop() {
      await closeControl?.();
      await server?.stop();
    },
  };
}
