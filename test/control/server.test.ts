import t from 'tap';
import { mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ControlUsageError, controlRequest, registerControl, unregisterControl } from '../../src/control/server.js';

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
