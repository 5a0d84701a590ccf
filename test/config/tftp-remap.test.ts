// tftpd-hpa's --map-file rules: parsing with positions, and rewriting as tftpd(8) describes.
import t from 'tap';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { applyRemap, parseRemap } from '../../src/config/tftp-remap.js';

const rules = (text: string): ReturnType<typeof parseRemap> => {
  const sink = new DiagnosticSink();
  const r = parseRemap('map', text, sink);
  if (sink.errors.length) throw new Error(sink.errors.map((d) => `${d.line}:${d.col} ${d.message}`).join('; '));
  return r;
};
const read = { write: false, ip: '192.0.2.169' };

t.test('replace, global, case, escapes, client address', async (t) => {
  t.equal(applyRemap(rules('rg \\\\ /   # Windows clients send backslashes\n'), 'boot\\x86\\pxelinux.0', read), 'boot/x86/pxelinux.0');
  t.equal(applyRemap(rules('ri ^PXE/(.*)$ boot/\\1'), 'pxe/Ipxe.efi', read), 'boot/Ipxe.efi');
  t.equal(applyRemap(rules('r ^(.*)$ \\U\\1\\E-\\i'), 'ab', read), 'AB-192.0.2.169');
  t.equal(applyRemap(rules('r ^pxelinux.cfg/default$ pxelinux.cfg/\\x'), 'pxelinux.cfg/default', read), 'pxelinux.cfg/C00002A9');
  t.equal(applyRemap(rules('r a\\ b c'), 'xa by', read), 'xcy', 'an escaped space is part of the word');
});

t.test('e ends, s restarts, a refuses, G/P and 4/6 select, ~ inverts', async (t) => {
  t.equal(applyRemap(rules('re ^a b\nr ^b c'), 'a', read), 'b', 'e stops after its rule');
  t.equal(applyRemap(rules('r ^b$ c\nrs ^a$ b'), 'a', read), 'c', 's starts over from the first rule');
  t.same(applyRemap(rules('a \\.\\.'), 'x/../y', read), { refused: 'map file line 1' });
  t.equal(applyRemap(rules('aP .'), 'x', read), 'x', 'P rules apply to writes only');
  t.same(applyRemap(rules('a6 .'), 'x', { write: false, ip: '::1' }), { refused: 'map file line 1' });
  t.equal(applyRemap(rules('a6 .'), 'x', read), 'x');
  t.same(applyRemap(rules('a~ ^pxe/'), 'etc/x', read), { refused: 'map file line 1' }, '~ refuses names that do not match');
  t.same(applyRemap(rules('rs ^(.*)$ \\1'), 'x', read), { refused: 'map file (its rules never settle)' });
});

t.test('mistakes at line:col', async (t) => {
  const sink = new DiagnosticSink();
  parseRemap('map', '# comment\nrq a b\nr (unclosed x\nr onlyregex\n', sink);
  t.same(sink.errors.map((d) => `${d.line}:${d.col}`), ['2:2', '3:3', '4:3']);
  t.match(sink.errors[0].message, /unknown map-file flag 'q'/);
  t.match(sink.errors[1].message, /bad regular expression/);
  t.match(sink.errors[2].message, /needs a replacement/);
});
