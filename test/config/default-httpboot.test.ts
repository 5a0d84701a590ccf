// HTTP boot settings in the tftpd-hpa file: TRIAD_HTTP_ADDRESS and TRIAD_HTTP_DIRECTORY.
import t from 'tap';
import { parseHttpBoot, parseListenAddress, wantsHttpBoot } from '../../src/config/default-httpboot.js';
import { DiagnosticSink } from '../../src/config/diagnostics.js';

const DEBIAN = 'TFTP_USERNAME="tftp"\nTFTP_DIRECTORY="/srv/tftp"\nTFTP_ADDRESS=":69"\nTFTP_OPTIONS="--secure"\n';

t.test('no TRIAD_HTTP_ADDRESS: no HTTP boot server', async (t) => {
  const sink = new DiagnosticSink();
  t.equal(parseHttpBoot('/etc/default/tftpd-hpa', DEBIAN, sink), undefined);
  t.equal(wantsHttpBoot('f', DEBIAN), false);
  t.equal(wantsHttpBoot('f', `${DEBIAN}TRIAD_HTTP_ADDRESS=""\n`), false, 'an empty one neither');
  t.same(sink.items, []);
});

t.test('the TFTP directory is served unless TRIAD_HTTP_DIRECTORY says otherwise', async (t) => {
  const sink = new DiagnosticSink();
  const c = parseHttpBoot('f', `${DEBIAN}TRIAD_HTTP_ADDRESS="0.0.0.0:8080"\n`, sink);
  t.match(c, { address: '0.0.0.0', port: 8080, directory: '/srv/tftp', permissive: false });
  t.same(sink.items, []);
  const d = parseHttpBoot('f', `${DEBIAN.replace('--secure', '--secure --permissive')}TRIAD_HTTP_ADDRESS=":8080"\nTRIAD_HTTP_DIRECTORY=/srv/http\n`, sink);
  t.match(d, { address: '', port: 8080, directory: '/srv/http', permissive: true });
  t.match(parseHttpBoot('f', `${DEBIAN}TRIAD_HTTP_ADDRESS="10.0.0.1"\n`, sink), { address: '10.0.0.1', port: 80 }, 'port 80 by default');
  t.match(parseHttpBoot('f', `${DEBIAN}TRIAD_HTTP_ADDRESS="[::]:8080"\n`, sink), { address: '::', port: 8080 });
  t.same(sink.items, []);
});

t.test('mistakes are reported at their place; TFTP mistakes are left to TFTP', async (t) => {
  const sink = new DiagnosticSink();
  parseHttpBoot('f', `${DEBIAN}TRIAD_HTTP_ADDRESS="0.0.0.0:80800"\nTRIAD_HTTP_DIRECTORY="srv/http"\n`, sink);
  t.match(sink.errors, [
    { line: 5, col: 21, message: /TRIAD_HTTP_ADDRESS 0\.0\.0\.0:80800: expected \[address\]\[:port\]/, lineText: 'TRIAD_HTTP_ADDRESS="0.0.0.0:80800"' },
    { line: 6, col: 23, message: /an absolute path is expected/ },
  ]);
  const s2 = new DiagnosticSink();
  parseHttpBoot('f', 'TFTP_OPTIONS="--bogus"\nTRIAD_HTTP_ADDRESS=":8080"\n', s2);
  t.equal(s2.errors.length, 1, 'the unknown tftpd option is not reported twice');
  t.match(s2.errors[0], { line: 2, message: /no directory to serve/ });
  t.same(parseListenAddress('[::1', 80), undefined);
  t.same(parseListenAddress(':0', 80), undefined);
  t.same(parseListenAddress('host:x', 80), undefined);
});
