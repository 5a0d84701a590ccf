// The TFTP server as a `triad run` service: reads CONF_DIR/tftpd-hpa, serves, reloads
// (a broken file keeps the running settings; a new address or port rebinds the listener),
// and answers `triad ctl tftp`.

import { reloadListener } from '../net/rebind.js';
import { loadDefaultTftpd, type TftpdConf } from '../config/default-tftpd.js';
import { DiagnosticSink, formatDiagnostic } from '../config/diagnostics.js';
import { controlSocketPath, registerServiceControl, type ControlReply } from '../control/server.js';
import type { RunOptions, Service } from '../service.js';
import { TFTP_CONTROL, tftpdConfPath } from './definition.js';
import { TftpServer } from './server.js';

export async function createTftpService(opts: RunOptions): Promise<Service | undefined> {
  const file = tftpdConfPath(opts);
  if (!file) return undefined;
  const log = opts.log.child({ service: 'tftp' });
  const read = (): TftpdConf => {
    const sink = new DiagnosticSink();
    const conf = loadDefaultTftpd(file, sink);
    for (const w of sink.warnings) log.warn(formatDiagnostic(w));
    sink.throwIfErrors();
    if (!conf) throw new Error(`${file}: not found`);
    return conf;
  };
  let conf = read();
  let server: TftpServer | undefined;
  let closeControl: (() => Promise<void>) | undefined;

  const control = async (): Promise<ControlReply> => {
    const stats = server?.stats ?? { requests: 0, completed: 0, received: 0, bytesReceived: 0, failed: 0, refused: 0, refusalsNotLogged: 0, malformed: 0, bytesSent: 0 };
    const active = server?.active() ?? [];
    const data = { directory: conf.directory, address: `${conf.address || '*'}:${conf.port}`, active: active.length, ...stats, transfers: active };
    const lines = [
      `serving ${conf.directory} on ${data.address}${conf.secure ? ' (secure)' : ''}`,
      `active: ${active.length}`,
      `completed: ${stats.completed}`,
      `failed: ${stats.failed}`,
      `refused: ${stats.refused}${stats.refusalsNotLogged ? ` (${stats.refusalsNotLogged} not logged)` : ''}`,
      `malformed: ${stats.malformed}`,
      `bytes sent: ${stats.bytesSent}`,
      ...(conf.create ? [`uploads received: ${stats.received}`, `bytes received: ${stats.bytesReceived}`] : []),
      ...active.map((t) => `  ${t.client} ${t.file} ${t.mode} blksize ${t.blksize} window ${t.windowsize}: ${t.bytes} bytes`),
    ];
    return { text: lines.join('\n') + '\n', data };
  };

  return {
    name: 'tftp',
    async start() {
      server = new TftpServer(conf, log);
      await server.start();
      closeControl = await registerServiceControl(controlSocketPath(opts.dataDir, opts.flags['control-socket']), 'tftp', TFTP_CONTROL, control);
    },
    async reload() {
      const next = read(); // throws for a broken file before anything changes
      const r = await reloadListener(server, conf, next, (c) => new TftpServer(c, log), (e) => log.error({ err: e.message }, 'tftp: the previous address cannot be bound again either'));
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
