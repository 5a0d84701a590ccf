// checkzone/compilezone as functions: verdicts, the check-names defaults of the
// BIND tools they mirror, and the one-line report of an internal error.
import t from 'tap';
import { checkzone, compilezone } from '../../src/dns/commands.js';

const HEAD = '$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n';

t.test('a ZONEMD digest shorter than 12 octets is refused by both, with file:line:col', async (t) => {
  const text = `${HEAD}x ZONEMD 2021071219 1 3 00\n`;
  const ck = checkzone({ zone: 'example', file: 'z.db', directory: '.', text });
  const cp = compilezone({ zone: 'example', file: 'z.db', directory: '.', text });
  t.equal(ck.code, 1);
  t.equal(cp.code, 1);
  t.match(ck.stderr, /^z\.db:5:25: error: ZONEMD digest too short/m);
  t.match(cp.stderr, /^z\.db:5:25: error: ZONEMD digest too short/m);
  t.equal(ck.stdout, 'zone example/IN: not loaded due to errors.\n');
});

t.test('check-names: checkzone warns, compilezone fails, as named-checkzone and named-compilezone', async (t) => {
  const text = `${HEAD}a_b A 192.0.2.9\n`;
  const ck = checkzone({ zone: 'example', file: 'z.db', directory: '.', text });
  t.equal(ck.code, 0);
  t.match(ck.stderr, /z\.db:5:1: warning: a_b\.example\.: bad owner name \(check-names\)/);
  const cp = compilezone({ zone: 'example', file: 'z.db', directory: '.', text });
  t.equal(cp.code, 1);
  t.match(cp.stderr, /z\.db:5:1: error: a_b\.example\.: bad owner name \(check-names\)/);
  const cpw = compilezone({ zone: 'example', file: 'z.db', directory: '.', text, checkNames: 'warn' });
  t.equal(cpw.code, 0);
  t.match(cpw.stdout, /^a_b\.example\. 300 IN A 192\.0\.2\.9$/m);
});

t.test('an unexpected failure is one line naming the file, never a stack trace', async (t) => {
  // An options object whose class cannot be read stands in for a bug deep in the loader.
  const broken = { zone: 'example', file: 'z.db', directory: '.', text: HEAD, get cls(): number { throw new TypeError('boom'); } };
  for (const [name, fn] of [['checkzone', checkzone], ['compilezone', compilezone]] as const) {
    const r = fn(broken);
    t.equal(r.code, 1, `${name} exits 1`);
    t.equal(r.stderr, `triad ${name}: internal error while processing z.db: boom\n`, `${name}: one line`);
  }
});
