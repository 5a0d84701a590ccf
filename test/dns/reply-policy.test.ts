import t from 'tap';
import { echoedFlags, echoesQuestion, metaTypeRcode, opcodeImplemented, questionlessRcode, raMayBeSet } from '../../src/dns/reply-policy.js';
import { FLAG_AA, FLAG_AD, FLAG_CD, FLAG_RD, FLAG_TC, RCODE } from '../../src/dns/message.js';

const ALL = FLAG_RD | FLAG_CD | FLAG_AA | FLAG_AD | FLAG_TC | 0x0080 | 0x0040;

t.test('implemented opcodes: QUERY, NOTIFY, UPDATE; every other of 0–15 is not', async (t) => {
  const yes = Array.from({ length: 16 }, (_, i) => i).filter(opcodeImplemented);
  t.same(yes, [0, 4, 5]);
});

t.test('only QUERY answers copy RD and CD, nothing else', async (t) => {
  t.equal(echoedFlags(0, ALL), FLAG_RD | FLAG_CD);
  t.equal(echoedFlags(0, 0), 0);
  for (const op of [1, 2, 3, 4, 5, 6, 15]) t.equal(echoedFlags(op, ALL), 0, `opcode ${op}`);
});

t.test('the question is repeated for QUERY, NOTIFY and UPDATE only', async (t) => {
  t.same(Array.from({ length: 16 }, (_, i) => i).filter(echoesQuestion), [0, 4, 5]);
});

t.test('no question: NOTIMP, cookie refresh or FORMERR', async (t) => {
  t.equal(questionlessRcode(15, false), RCODE.NOTIMP);
  t.equal(questionlessRcode(1, true), RCODE.NOTIMP, 'a cookie does not make IQUERY a refresh');
  t.equal(questionlessRcode(0, true), RCODE.NOERROR, 'QUERY with a COOKIE: refresh (RFC 7873 §5.4)');
  t.equal(questionlessRcode(0, false), RCODE.FORMERR);
  t.equal(questionlessRcode(4, true), RCODE.FORMERR, 'NOTIFY needs its question');
  t.equal(questionlessRcode(5, false), RCODE.FORMERR);
  t.equal(questionlessRcode(0, true, 1), RCODE.SERVFAIL, 'QUERY with records but no question: SERVFAIL (BIND)');
  t.equal(questionlessRcode(15, false, 1), RCODE.NOTIMP);
  t.equal(questionlessRcode(4, false, 1), RCODE.FORMERR);
});

t.test('meta query types and RA', async (t) => {
  t.equal(metaTypeRcode(254), RCODE.NOTIMP, 'MAILA');
  t.equal(metaTypeRcode(253), RCODE.NOTIMP, 'MAILB');
  for (const ty of [41, 128, 249, 250]) t.equal(metaTypeRcode(ty), RCODE.FORMERR, `type ${ty}`);
  for (const ty of [1, 127, 251, 252, 255, 256, 65534]) t.equal(metaTypeRcode(ty), undefined, `type ${ty} answered as usual`);
  t.ok(raMayBeSet(0, 1, 0));
  t.notOk(raMayBeSet(15, 1, 0), 'unknown opcode');
  t.notOk(raMayBeSet(4, 1, 0), 'NOTIFY');
  t.notOk(raMayBeSet(0, 3, 0), 'CHAOS');
  t.notOk(raMayBeSet(0, 255, 0), 'class ANY');
  t.notOk(raMayBeSet(0, 1, 1), 'BADVERS');
});
