// Debian's /etc/default/tftpd-hpa fragment and tftpd(8)'s flags.
import t from 'tap';
import { parseDefaultTftpd, parseTftpAddress } from '../../src/config/default-tftpd.js';
import { DiagnosticSink, formatDiagnostic } from '../../src/config/diagnostics.js';

t.test("Debian's default file", async (t) => {
  const sink = new DiagnosticSink();
  const c = parseDefaultTftpd('/etc/default/tftpd-hpa', `# /etc/default/tftpd-hpa

TFTP_USERNAME="tftp"
TFTP_DIRECTORY="/srv/tftp"
TFTP_ADDRESS=":69"
TFTP_OPTIONS="--secure"
`, sink);
  t.same(sink.items, []);
  t.equal(c.directory, '/srv/tftp');
  t.equal(c.address, '');
  t.equal(c.port, 69);
  t.equal(c.secure, true);
  t.equal(c.create, false, 'read-only by default');
  t.equal(c.user, 'tftp');
  t.equal(c.maxBlockSize, 65464);
});

t.test('TFTP_OPTIONS flags, both spellings', async (t) => {
  const sink = new DiagnosticSink();
  const c = parseDefaultTftpd('f', `TFTP_DIRECTORY=/srv/tftp
TFTP_ADDRESS="127.0.0.1:6969"
TFTP_OPTIONS="-s --blocksize 1468 --port-range=40000:40100 -m /etc/tftp.map -c --refuse blksize -p -T 500000"
`, sink);
  t.same(sink.errors, []);
  t.equal(c.address, '127.0.0.1');
  t.equal(c.port, 6969);
  t.equal(c.secure, true);
  t.equal(c.maxBlockSize, 1468);
  t.same(c.portRange, [40000, 40100]);
  t.equal(c.mapFile, '/etc/tftp.map');
  t.equal(c.create, true);
  t.equal(c.permissive, true);
  t.same(c.refuse, ['blksize']);
  t.equal(c.retransmitMs, 500);
});

t.test('mistakes are placed at file:line:col', async (t) => {
  const sink = new DiagnosticSink();
  parseDefaultTftpd('/etc/default/tftpd-hpa', `TFTP_DIRECTORY="/srv/tftp"
TFTP_OPTIONS="--secure --blocksize 99 --frobnicate"
`, sink);
  const msgs = sink.errors.map((d) => `${d.line}:${d.col} ${d.message}`);
  t.same(msgs, ['2:36 --blocksize 99: a number from 512 to 65464 is expected', '2:39 unknown tftpd option --frobnicate']);
  t.match(formatDiagnostic(sink.errors[0]), /^\/etc\/default\/tftpd-hpa:2:36: error: /);
});

t.test('no directory, a relative one, two of them, a bad address, shell expansion', async (t) => {
  const s1 = new DiagnosticSink();
  parseDefaultTftpd('f', 'TFTP_OPTIONS="--secure"\n', s1);
  t.match(s1.errors[0].message, /TFTP_DIRECTORY names no directory/);
  const s2 = new DiagnosticSink();
  parseDefaultTftpd('f', 'TFTP_DIRECTORY="srv/tftp /other"\n', s2);
  t.same(s2.errors.map((d) => d.col).sort(), [17, 26]);
  const s3 = new DiagnosticSink();
  parseDefaultTftpd('f', 'TFTP_DIRECTORY=/srv\nTFTP_ADDRESS="1.2.3.4:99999"\n', s3);
  t.match(s3.errors[0].message, /TFTP_ADDRESS 1.2.3.4:99999/);
  t.equal(s3.errors[0].line, 2);
  const s4 = new DiagnosticSink();
  parseDefaultTftpd('f', 'TFTP_DIRECTORY="$HOME/tftp"\n', s4);
  t.match(s4.errors[0].message, /shell expansion/);
});

t.test('addresses', async (t) => {
  t.same(parseTftpAddress(':69'), { address: '', port: 69 });
  t.same(parseTftpAddress('0.0.0.0'), { address: '0.0.0.0', port: 69 });
  t.same(parseTftpAddress('[::1]:1069'), { address: '::1', port: 1069 });
  t.equal(parseTftpAddress('1.2.3.4:x'), undefined);
});
