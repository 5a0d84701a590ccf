// A dynamic zone's journal damaged on disk: cut at every byte, garbage in the middle.
// The intact changes are kept, each damaged line is named, the file is set aside and rewritten.
import t from 'tap';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readJournalText, setAsideDamaged, type JournalEntry } from '../../src/dns/journal-file.js';

const E: JournalEntry[] = [
  { from: 1, to: 2, del: [], add: [['A3d3dwdleGFtcGxlAA==', 1, 1, 300, 'wAACAQ==']] },
  { from: 2, to: 3, del: [['A3d3dwdleGFtcGxlAA==', 1, 1, 300, 'wAACAQ==']], add: [['A3d3dwdleGFtcGxlAA==', 1, 1, 300, 'wAACAg==']] },
  { from: 3, to: 4, del: [], add: [['A2Z0cAdleGFtcGxlAA==', 16, 1, 60, 'BWhlbGxv']] },
];
const lines = E.map((e) => `${JSON.stringify(e)}\n`);
const FULL = lines.join('');

t.test('cut at every byte: every complete line kept, the torn one reported at its line', async (t) => {
  let bad = 0;
  for (let k = 0; k <= FULL.length; k++) {
    const r = readJournalText(FULL.slice(0, k));
    let complete = 0;
    let at = 0;
    for (const l of lines) {
      if (at + l.length <= k) complete++;
      at += l.length;
    }
    const got = r.entries.map((x) => x.entry.to);
    if (JSON.stringify(got) !== JSON.stringify(E.slice(0, complete).map((e) => e.to))) {
      bad++;
      t.fail(`cut at ${k}: kept ${got.join(',')}`);
    }
    const torn = k > 0 && FULL[k - 1] !== '\n';
    if (torn !== (r.damage.length === 1) || (torn && r.damage[0].line !== complete + 1)) {
      bad++;
      t.fail(`cut at ${k}: damage ${JSON.stringify(r.damage)}`);
    }
    if (r.intactText !== lines.slice(0, complete).join('')) t.fail(`cut at ${k}: intact text`);
  }
  t.equal(bad, 0);
});

t.test('garbage in the middle and a change appended after a torn line: both intact changes kept', async (t) => {
  const text = lines[0] + '\x00\xff{"from":2,"to"\n' + lines[1].slice(0, 20) + lines[2];
  const r = readJournalText(text);
  t.same(r.entries.map((x) => x.entry.to), [2]);
  t.same(r.damage.map((d) => d.line), [2, 3]);
  const r2 = readJournalText(lines[0] + 'garbage\n' + lines[1] + lines[2]);
  t.same(r2.entries.map((x) => [x.entry.to, x.line]), [[2, 1], [3, 3], [4, 4]]);
  t.same(r2.damage, [{ line: 2, message: 'unreadable line (damaged), skipped' }]);
  t.same(readJournalText('{"from":1,"to":2,"del":"x","add":[]}\n').damage.map((d) => d.line), [1], 'a line of the wrong shape is damage too');
});

t.test('setAsideDamaged keeps the damaged file untouched and rewrites the intact lines', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-jnl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'example.com.jnl');
  const damaged = lines[0] + lines[1].slice(0, 30);
  writeFileSync(file, damaged);
  const r = readJournalText(damaged);
  const aside = setAsideDamaged(file, r.intactText, new Date('2026-11-30T23:50:01Z'));
  t.equal(aside, `${file}.damaged-20261130T235001Z`);
  t.equal(readFileSync(aside, 'utf8'), damaged);
  t.equal(readFileSync(file, 'utf8'), lines[0]);
  t.same(readdirSync(dir).sort(), ['example.com.jnl', 'example.com.jnl.damaged-20261130T235001Z']);
});
