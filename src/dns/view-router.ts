// The first stage of answering: which view's pipeline answers a request
// (views.ts decides, as BIND 9.18 does). Each view has its own Responder, so its
// own zones, options, response cache and resolver cache. A request no view
// matches is answered REFUSED with its question, as BIND answers it ("no
// matching view"). Without `view` statements there is one view that takes every
// request, and this stage is a plain hand-over.

import { Responder, type ResponderOptions, type ResponderStats } from './responder.js';
import { errorReply, type ClientInfo, type ServingView, type Source } from './pipeline.js';
import { RCODE } from './message.js';
import { echoedFlags } from './reply-policy.js';
import type { QueryHandler } from './server.js';
import { CLASS_CH } from '../wire/rr-type.js';
import { MATCH_ALL, selectView, type ViewMatcher, type ViewRequest } from './views.js';
import { queryLog } from './query-log.js';

export interface RoutedView {
  name: string;
  matches: ViewMatcher;
  responder: Responder;
}

/** What selects the view for one message: its source, destination, RD bit and TSIG key. */
export function viewRequest(msg: Uint8Array, client: ClientInfo, keyName = client.key): ViewRequest {
  // RD is bit 0 of the third header octet (RFC 1035 §4.1.1); a shorter message is dropped later anyway.
  return { source: client.address, destination: client.destination, recursive: msg.length > 2 && (msg[2] & 1) === 1, keyName };
}

export interface ViewRouterOptions extends Pick<ResponderOptions, 'faults'> {
  /**
   * The name of the key whose TSIG on this message verifies, if any (RFC 8945): a
   * view whose match-clients names a `key` takes only requests signed with it.
   * Without it, only `client.key` (set by whoever verified the request) counts.
   */
  verifiedKey?: (msg: Uint8Array, client: ClientInfo) => string | undefined;
}

/** The only source of the pipeline for requests no view matches: REFUSED, EDE 18 (Prohibited), as BIND 9.18 answers. */
const noViewSource: Source = () => ({
  name: 'no-view',
  answer: (ctx) => errorReply(RCODE.REFUSED, ctx.q.question, echoedFlags(ctx.q.opcode, ctx.q.flags), { ede: { code: 18, text: '' } }),
});

/** The view of a request no view matches: no zones; its one source (noViewSource) refuses every query. */
export function refusingView(base: Pick<ServingView, 'udpSize' | 'blackhole'>): ServingView {
  return { zones: [], allowQuery: () => false, zoneAllowQuery: new Map(), recursion: false, udpSize: base.udpSize, blackhole: base.blackhole };
}

/** The class of the first question, read without parsing the message; undefined when there is none. */
function questionClass(msg: Uint8Array): number | undefined {
  if (msg.length < 12 || ((msg[4] << 8) | msg[5]) === 0) return undefined;
  let i = 12;
  while (i < msg.length && msg[i] !== 0 && msg[i] < 64) i += msg[i] + 1;
  return i + 4 < msg.length ? (msg[i + 3] << 8) | msg[i + 4] : undefined;
}

export class ViewRouter implements QueryHandler {
  private readonly refuser: Responder;
  private readonly only: Responder | undefined;
  /** The view chosen per (source, destination, RD, key); views are fixed for the life of a router. */
  private readonly memo = new Map<string, Responder>();
  private readonly verifiedKey: ViewRouterOptions['verifiedKey'];

  constructor(
    readonly views: readonly RoutedView[],
    refusing: ServingView,
    opts: ViewRouterOptions = {},
  ) {
    this.refuser = new Responder(refusing, { faults: opts.faults, sources: [noViewSource] });
    this.verifiedKey = opts.verifiedKey;
    // One view that takes everything (no `view` statements): no selection per request.
    this.only = views.length === 1 && views[0].matches === MATCH_ALL ? views[0].responder : undefined;
  }

  /** The responder of the view that answers this request. */
  pick(msg: Uint8Array, client: ClientInfo): Responder {
    if (this.only) return this.only;
    // BIND answers class CHAOS (version.bind…) from its built-in CHAOS view, whatever the client:
    // the first view's pipeline answers those (the same options { version }) for everyone.
    if (questionClass(msg) === CLASS_CH && this.views.length > 0) return this.views[0].responder;
    const req = viewRequest(msg, client, client.key ?? this.verifiedKey?.(msg, client));
    // A LAN has few clients: remember each one's view instead of matching the lists on every query.
    const key = `${req.source}|${req.destination ?? ''}|${req.recursive ? 1 : 0}|${req.keyName ?? ''}`;
    let r = this.memo.get(key);
    if (r === undefined) {
      r = selectView(this.views, req)?.responder ?? this.refuser;
      if (this.memo.size >= 4096) this.memo.clear();
      this.memo.set(key, r);
    }
    return r;
  }

  respond(msg: Uint8Array, client: ClientInfo, later?: (out: Uint8Array | null, client: ClientInfo) => void): Uint8Array | null {
    const r = this.pick(msg, client);
    if (queryLog.on) this.logQuery(r, msg, client);
    return r.respond(msg, client, later);
  }

  respondTcp(msg: Uint8Array, client: ClientInfo, later?: (outs: Uint8Array[] | null, client: ClientInfo) => void): Uint8Array[] | null {
    const r = this.pick(msg, client);
    if (queryLog.on) this.logQuery(r, msg, client);
    return r.respondTcp(msg, client, later);
  }

  /** The query log (BIND logs a query once its view is chosen; a request no view takes is not logged). */
  private logQuery(r: Responder, msg: Uint8Array, client: ClientInfo): void {
    if (r === this.refuser) return;
    // BIND answers class CHAOS from its own `_bind` view, which the log leaves unnamed.
    const view = this.only ? undefined : questionClass(msg) === CLASS_CH ? '_bind' : this.views.find((v) => v.responder === r)?.name;
    try {
      const line = r.queryLogLine(msg, client, view);
      if (line !== undefined) queryLog.emit(line);
    } catch {
      // A line that cannot be made never stops the answer.
    }
  }

  /** Every pipeline's counters (the views', then the refusals'). */
  allStats(): ResponderStats[] {
    return [...this.views.map((v) => v.responder.stats), this.refuser.stats];
  }
}
