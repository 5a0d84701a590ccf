// The query log's file channels: rolling by versions and size as BIND's isc_log does,
// the prefixes, and severities that drop the query log's info lines.
import t, { type Test } from 'tap';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueryLogWriter, rollFile } from '../../src/dns/query-log-writer.js';
import type { LogChannel, LoggingConfig } from '../../src/config/named-conf-logging.js';
import { createLogger } from '../../src/log.js';

const log = createLogger({ level: 'silent' });
function tmp(t: Test): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'triad-qlw-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}
function logging(...channels: LogChannel[]): LoggingConfig {
  return { channels: new Map(channels.map((c) => [c.name, c])), queries: channels.map((c) => c.name) };
}
function fileChannel(name: string, file: string, extra: Partial<{ versions: number | 'unlimited'; size: number }> = {}, more: Partial<LogChannel> = {}): LogChannel {
  return { name, destination: { kind: 'file', path: file, ...extra }, printTime: false, printCategory: false, printSeverity: false, severity: 'info', ...more };
}
const line = (i: number): [number, string] => [Date.UTC(2026, 0, 1), `client @0x1 127.0.0.1#${1000 + i} (a.test): query: a.test IN A + (127.0.0.1)`];
const LINE = `${line(0)[1]}\n`.length;

t.test('size and versions: roll before the line that finds the file at its size', async (t) => {
  const d = tmp(t);
  const f = path.join(d, 'q.log');
  const w = new QueryLogWriter(log);
  w.configure(logging(fileChannel('q', f, { versions: 2, size: LINE * 3 })));
  w.write(Array.from({ length: 10 }, (_, i) => line(i)));
  w.close();
  const lines = (p: string) => readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => /#(\d+)/.exec(l)?.[1]);
  t.same(lines(f), ['1009'], 'the newest line in FILE');
  t.same(lines(`${f}.0`), ['1006', '1007', '1008']);
  t.same(lines(`${f}.1`), ['1003', '1004', '1005']);
  t.notOk(existsSync(`${f}.2`), 'only two old versions kept');
});

t.test('size without versions: writing stops at the size', async (t) => {
  const d = tmp(t);
  const f = path.join(d, 'q.log');
  const w = new QueryLogWriter(log);
  w.configure(logging(fileChannel('q', f, { size: LINE * 2 + 1 })));
  w.write(Array.from({ length: 6 }, (_, i) => line(i)));
  w.close();
  t.equal(readFileSync(f, 'utf8').split('\n').filter(Boolean).length, 3, 'the line that crosses the size is the last');
  t.same(readdirSync(d), ['q.log']);
});

t.test('versions without size: the old file is rolled when the channel first writes', async (t) => {
  const d = tmp(t);
  const f = path.join(d, 'q.log');
  writeFileSync(f, 'old\n');
  writeFileSync(`${f}.0`, 'older\n');
  const w = new QueryLogWriter(log);
  w.configure(logging(fileChannel('q', f, { versions: 'unlimited' })));
  t.equal(readFileSync(f, 'utf8'), 'old\n', 'nothing happens before the first line');
  w.write([line(0)]);
  w.write([line(1)]);
  w.close();
  t.equal(readFileSync(`${f}.0`, 'utf8'), 'old\n');
  t.equal(readFileSync(`${f}.1`, 'utf8'), 'older\n');
  t.equal(readFileSync(f, 'utf8').split('\n').filter(Boolean).length, 2, 'rolled once, not per write');
});

t.test('rollFile with versions 0 removes the file', async (t) => {
  const d = tmp(t);
  const f = path.join(d, 'q.log');
  writeFileSync(f, 'x');
  rollFile(f, 0);
  t.same(readdirSync(d), []);
});

t.test('prefixes, severities and a reload that keeps the file open', async (t) => {
  const d = tmp(t);
  const full = fileChannel('full', path.join(d, 'full.log'), {}, { printTime: 'iso8601-utc', printCategory: true, printSeverity: true });
  const warn = fileChannel('warn', path.join(d, 'warn.log'), {}, { severity: 'warning' });
  const w = new QueryLogWriter(log);
  w.configure(logging(full, warn));
  w.write([line(0)]);
  w.configure(logging(full, warn));
  w.write([line(1)]);
  w.close();
  const text = readFileSync(path.join(d, 'full.log'), 'utf8');
  t.match(text, /^2026-01-01T00:00:00\.000Z queries: info: client @0x1 127\.0\.0\.1#1000 /);
  t.equal(text.split('\n').filter(Boolean).length, 2);
  t.notOk(existsSync(path.join(d, 'warn.log')), 'severity warning drops info lines');
});

t.test('a file that cannot be opened is logged, and the rest keeps going', async (t) => {
  const d = tmp(t);
  writeFileSync(path.join(d, 'notadir'), '');
  const errors: string[] = [];
  const capture = { ...log, error: (o: unknown, m?: string) => errors.push(String(m ?? o)), info: () => undefined } as unknown as typeof log;
  const w = new QueryLogWriter(capture);
  w.configure(logging(fileChannel('bad', path.join(d, 'notadir', 'q.log')), fileChannel('good', path.join(d, 'good.log'))));
  w.write([line(0)]);
  w.write([line(1)]);
  w.close();
  t.match(errors.join('\n'), /cannot open the channel file/);
  t.equal(errors.length, 1, 'logged once, not at every batch');
  t.equal(readFileSync(path.join(d, 'good.log'), 'utf8').split('\n').filter(Boolean).length, 2, 'the other channel has every line');
});
