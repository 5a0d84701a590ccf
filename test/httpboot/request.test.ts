// The HTTP boot server's pure decisions: request targets confined to the root, Range
// headers (RFC 9110 §14), media types.
import t from 'tap';
import { contentType, parseRange, targetPath } from '../../src/httpboot/request.js';

t.test('request targets: names inside the root, escapes refused, never normalised', async (t) => {
  t.equal(targetPath('/boot.ipxe'), 'boot.ipxe');
  t.equal(targetPath('/pxe//./menus/boot.ipxe?mac=52:54:00:00:00:01'), 'pxe/menus/boot.ipxe', 'empty and . components dropped, the query ignored');
  t.equal(targetPath('/file%20with%20space.efi'), 'file with space.efi', 'percent-escapes decoded once');
  t.equal(targetPath('http://10.0.0.1:8080/boot.ipxe'), 'boot.ipxe', 'absolute-form target');
  t.match(targetPath('/../etc/passwd'), { status: 403, reason: /'\.\.'/ });
  t.match(targetPath('/pxe/../../etc/passwd'), { status: 403 });
  t.match(targetPath('/%2e%2e/etc/passwd'), { status: 403 }, 'an escaped .. is refused too');
  t.match(targetPath('/%2E%2E%2Fetc%2Fpasswd'), { status: 403 }, 'an escaped slash does not hide ..');
  t.match(targetPath('/..%5c..%5cetc'), { status: 403, reason: /backslash/ });
  t.match(targetPath('/boot%00.ipxe'), { status: 400, reason: /NUL/ });
  t.match(targetPath('/%zz'), { status: 400, reason: /percent-escape/ });
  t.match(targetPath('*'), { status: 400 });
  t.match(targetPath('/'), { status: 404, reason: /no listings/ });
  t.match(targetPath(`/${'a'.repeat(256)}`), { status: 404, reason: /255 octets/ });
  t.equal(targetPath(`/${'a'.repeat(255)}`), 'a'.repeat(255));
});

t.test('ranges: one range served, the rest as RFC 9110 allows', async (t) => {
  t.same(parseRange(undefined, 100), { kind: 'whole' });
  t.same(parseRange('bytes=0-9', 100), { kind: 'part', start: 0, end: 9 });
  t.same(parseRange('bytes=90-', 100), { kind: 'part', start: 90, end: 99 }, 'open end');
  t.same(parseRange('bytes=90-500', 100), { kind: 'part', start: 90, end: 99 }, 'an end past the file is clipped');
  t.same(parseRange('bytes=-10', 100), { kind: 'part', start: 90, end: 99 }, 'suffix');
  t.same(parseRange('bytes=-500', 100), { kind: 'part', start: 0, end: 99 }, 'a suffix longer than the file is all of it');
  t.same(parseRange('bytes=100-', 100), { kind: 'unsatisfiable' }, 'a start at the end');
  t.same(parseRange('bytes=-0', 100), { kind: 'unsatisfiable' });
  t.same(parseRange('bytes=0-0', 0), { kind: 'unsatisfiable' }, 'nothing of an empty file');
  t.same(parseRange('bytes=9-3', 100), { kind: 'whole' }, 'an invalid range is ignored');
  t.same(parseRange('bytes=0-1,5-6', 100), { kind: 'whole' }, 'several ranges: the whole file');
  t.same(parseRange('items=0-1', 100), { kind: 'whole' }, 'another unit');
  t.same(parseRange('bytes=abc', 100), { kind: 'whole' });
  t.same(parseRange('Bytes = 5-6', 100), { kind: 'part', start: 5, end: 6 }, 'the unit is case-insensitive');
});

t.test('media types by name', async (t) => {
  t.match(contentType('boot.ipxe'), /^text\/plain/);
  t.equal(contentType('ipxe.efi'), 'application/octet-stream');
  t.equal(contentType('vmlinuz'), 'application/octet-stream');
});
