import t from 'tap';
import { mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ControlUsageError, controlRequest, registerControl, registerServiceControl, unregisterControl } from '../../src/control/server.js';

t.test('register, call, usage error, unknown service, close with the last handler', async (t) => {
  const sock = path.join(mkdtempSync(path.join(os.tmpdir(), 'ctl-')), 'control.sock');
  await registerControl(sock, 'echo', async (args) => {
    if (args[0] === 'bad') throw new ControlUsageError('usage: echo WORDS');
    return { text: args.join(' ') + '\n', data: args };
  });
  t.equal(statSync(sock).mode & 0o777, 0o600, 'socket only for its owner');
  const ok = await controlRequest(sock, 'echo', ['a', 'b']);
  t.same(ok, { status: 200, body: { text: 'a b\n', data: ['a', 'b'] } });
  const bad = await controlRequest(sock, 'echo', ['bad']);
  t.equal(bad.status, 400);
  t.equal(bad.body.error, 'usage: echo WORDS');
  const none = await controlRequest(sock, 'dns', []);
  t.equal(none.status, 404);
  t.match(none.body.error, /have: echo/);
  await unregisterControl('echo');
  t.throws(() => statSync(sock), 'socket removed');
});

t.test('a service registers its name; commands marked alias also answer alone; unknown ones are refused', async (t) => {
  const sock = path.join(mkdtempSync(path.join(os.tmpdir(), 'ctl-')), 'control.sock');
  const seen: string[] = [];
  const close = await registerServiceControl(sock, 'dns', {
    commands: [
      { name: 'stats', summary: '', read: true, alias: true },
      { name: 'zonestatus', args: 'ZONE', summary: '', read: true },
    ],
    default: 'stats',
  }, async (cmd, args) => {
    seen.push([cmd, ...args].join(' '));
    return { text: `${cmd}\n`, data: { cmd, args } };
  });
  t.same((await controlRequest(sock, 'dns', ['zonestatus', 'a.test'])).body, { text: 'zonestatus\n', data: { cmd: 'zonestatus', args: ['a.test'] } });
  t.equal((await controlRequest(sock, 'dns', [])).body.text, 'stats\n', 'the default command');
  t.equal((await controlRequest(sock, 'stats', [])).body.text, 'stats\n', 'the alias');
  t.equal((await controlRequest(sock, 'zonestatus', ['a.test'])).status, 404, 'not an alias');
  const bad = await controlRequest(sock, 'dns', ['flush']);
  t.equal(bad.status, 400);
  t.equal(bad.body.error, "unknown dns command 'flush' (have: stats, zonestatus)");
  t.same(seen, ['zonestatus a.test', 'stats', 'stats']);
  await close();
  t.throws(() => statSync(sock), 'socket removed with the last name');
});

t.test('a read command without structured data still answers --json (its text)', async (t) => {
  const sock = path.join(mkdtempSync(path.join(os.tmpdir(), 'ctl-')), 'control.sock');
  const close = await registerServiceControl(sock, 'x', {
    commands: [{ name: 'show', summary: '', read: true }, { name: 'poke', summary: '', read: false }],
  }, async (cmd) => ({ text: `${cmd} done\n` }));
  t.same((await controlRequest(sock, 'x', ['show'])).body, { text: 'show done\n', data: { text: 'show done\n' } });
  t.same((await controlRequest(sock, 'x', ['poke'])).body, { text: 'poke done\n' }, 'a command that changes something is left as it is');
  await close();
});
