import t from 'tap';
import { VrrpMachine, type MachineConfig } from '../../src/vrrp/machine.js';

const cfg = (over: Partial<MachineConfig> = {}): MachineConfig => ({ priority: 100, interval: 100, preempt: true, preemptDelay: 0, primary: 10, ...over });
const states = (acts: ReturnType<VrrpMachine['tick']>): string[] => acts.map((a) => (a.kind === 'send' ? `send ${a.priority}` : `${a.from}->${a.to}`));

t.test('timers: master-down = 3 × interval + skew, skew = (256 - priority) × interval / 256', async (t) => {
  const m = new VrrpMachine(cfg({ priority: 100 }));
  t.same(states(m.start(0)), ['init->backup']);
  t.equal(m.skewMs(), (156 * 1000) / 256);
  t.equal(m.deadline(), 3000 + (156 * 1000) / 256);
  t.same(m.tick(3000), [], 'not yet');
  t.same(states(m.tick(m.deadline())), ['send 100', 'backup->master']);
  t.equal(m.deadline(), 3000 + (156 * 1000) / 256 + 1000, 'adver timer = interval');
  t.same(states(m.tick(m.deadline())), ['send 100']);
});

t.test('priority 255 (address owner) is master at once', async (t) => {
  const m = new VrrpMachine(cfg({ priority: 255 }));
  t.same(states(m.start(0)), ['send 255', 'init->master']);
});

t.test('election: higher priority, then higher primary address; lower ones are answered at once', async (t) => {
  const m = new VrrpMachine(cfg({ priority: 100, primary: 10 }));
  m.start(0);
  m.tick(m.deadline());
  t.equal(m.state, 'master');
  t.same(states(m.advert({ src: 5, priority: 100, interval: 100 }, 4000)), ['send 100'], 'equal priority, lower address: we stay and say so');
  t.same(states(m.advert({ src: 20, priority: 50, interval: 100 }, 4000)), ['send 100'], 'lower priority: we stay and say so');
  t.same(states(m.advert({ src: 20, priority: 100, interval: 100 }, 4000)), ['master->backup'], 'equal priority, higher address wins');
  t.equal(m.masterAddress, 20);
  const n = new VrrpMachine(cfg({ priority: 100 }));
  n.start(0);
  n.tick(n.deadline());
  t.same(states(n.advert({ src: 1, priority: 101, interval: 100 }, 4000)), ['master->backup']);
});

t.test('backup: adverts reset the master-down timer; v3 learns the master interval', async (t) => {
  const m = new VrrpMachine(cfg({ priority: 100 }));
  m.start(0);
  m.advert({ src: 20, priority: 200, interval: 50 }, 2000);
  t.equal(m.masterInterval, 50);
  t.equal(m.deadline(), 2000 + 1500 + (156 * 500) / 256);
  t.same(m.tick(3000), []);
  t.equal(m.state, 'backup');
});

t.test('priority 0 from the master: take over after skew only; a master answers it with an advertisement', async (t) => {
  const m = new VrrpMachine(cfg({ priority: 100 }));
  m.start(0);
  m.advert({ src: 20, priority: 200, interval: 100 }, 1000);
  m.advert({ src: 20, priority: 0, interval: 100 }, 1500);
  t.equal(m.deadline(), 1500 + (156 * 1000) / 256);
  t.same(states(m.tick(m.deadline())), ['send 100', 'backup->master']);
  t.same(states(m.advert({ src: 30, priority: 0, interval: 100 }, 9000)), ['send 100']);
});

t.test('preempt, nopreempt, preempt_delay', async (t) => {
  const pre = new VrrpMachine(cfg({ priority: 150 }));
  pre.start(0);
  pre.advert({ src: 20, priority: 100, interval: 100 }, 100);
  t.equal(pre.deadline(), 3000 + (106 * 1000) / 256, 'a lower master does not reset our timer: we take over');
  const nop = new VrrpMachine(cfg({ priority: 150, preempt: false }));
  nop.start(0);
  nop.advert({ src: 20, priority: 100, interval: 100 }, 3000);
  t.equal(nop.deadline(), 3000 + 3000 + (106 * 1000) / 256, 'nopreempt: the lower master keeps it');
  const delay = new VrrpMachine(cfg({ priority: 150, preemptDelay: 10000 }));
  delay.start(0);
  delay.advert({ src: 20, priority: 100, interval: 100 }, 3000);
  t.ok(delay.deadline() > 6000, 'within preempt_delay: no preemption');
  delay.advert({ src: 20, priority: 100, interval: 100 }, 11000);
  t.ok(delay.deadline() < 11000, 'after preempt_delay the timer is left to run out');
});

t.test('clean stop sends priority 0; fault gives up mastership and comes back as backup', async (t) => {
  const m = new VrrpMachine(cfg());
  m.start(0);
  m.tick(m.deadline());
  t.same(states(m.setFault(true, 5000)), ['send 0', 'master->fault']);
  t.equal(m.deadline(), Infinity);
  t.same(states(m.setFault(false, 6000)), ['fault->backup']);
  m.tick(m.deadline());
  t.same(states(m.stop()), ['send 0', 'master->init']);
  t.equal(m.transitions, 6);
});

t.test('sync group: a member follows the group to master (from backup) and back to backup (from master)', async (t) => {
  const m = new VrrpMachine(cfg());
  m.start(0);
  t.same(states(m.follow('backup', 100)), [], 'already backup');
  t.same(states(m.follow('master', 100)), ['send 100', 'backup->master']);
  t.same(states(m.follow('master', 200)), [], 'already master');
  t.same(states(m.follow('backup', 300)), ['master->backup']);
  t.equal(m.deadline(), 300 + m.masterDownMs());
});
