// Class membership from dhcpd.conf expressions, compiled when the configuration is loaded.

import t from 'tap';
import { parseDhcpdConf } from '../../src/config/dhcpd-conf.js';
import { compileExpressions, memberships } from '../../src/dhcp/classify.js';
import { msg } from './engine-fixture.js';

const CONF = `
class "pxe" { match if substring(option vendor-class-identifier, 0, 9) = "PXEClient"; }
class "not-pxe" { match if not exists vendor-class-identifier; }
class "either" { match if option user-class = "iPXE" or option host-name = "pc1"; }
class "both" { match if exists host-name and option host-name != "pc1"; }
class "re" { match if option vendor-class-identifier ~= "^MSFT [0-9.]+$"; }
class "re-ci" { match if option vendor-class-identifier ~~ "^msft"; }
class "re-dyn" { match if option host-name ~= concat("^", lcase("PC"), "[0-9]$"); }
class "lab-mac" { match if substring(hardware, 1, 2) = 02:00; }
class "by-name" { match option host-name; }
subclass "by-name" "pc7";
subclass "by-name" "pc8";
class "site" { spawn with suffix(option host-name, 1); }
`;

t.test('expressions are compiled at load and decide class membership as dhcp-eval(5) says', async (t) => {
  const { conf, sink } = parseDhcpdConf('t.conf', CONF);
  t.same(sink.errors, [], 'the file parses');
  compileExpressions(conf);
  const classes = (mac: string, opts: number[][] = []): string[] => memberships(conf, msg(mac, 1, opts), false).map((m) => (m.sub ? `${m.cls.name}:${Buffer.from(m.sub, 'hex').toString('latin1')}` : m.cls.name));
  const text = (code: number, s: string): number[] => [code, s.length, ...Buffer.from(s, 'latin1')];
  t.same(classes('aa:00:00:00:00:01', [text(60, 'PXEClient:Arch:00000')]), ['pxe'], 'substring of an option');
  t.same(classes('aa:00:00:00:00:01'), ['not-pxe'], 'not exists');
  t.same(classes('aa:00:00:00:00:01', [text(60, 'x'), text(77, 'iPXE')]), ['either'], 'or, first branch');
  t.same(classes('aa:00:00:00:00:01', [text(60, 'x'), text(12, 'pc1')]), ['either', 're-dyn', 'site:1'], 'or, second branch; a pattern built from the packet; spawn');
  t.same(classes('aa:00:00:00:00:01', [text(60, 'x'), text(12, 'pc7')]), ['both', 're-dyn', 'by-name:pc7', 'site:7'], 'and / !=, a declared subclass');
  t.same(classes('aa:00:00:00:00:01', [text(60, 'MSFT 5.0')]), ['re', 're-ci'], 'regex match, and ~~ ignoring case');
  t.same(classes('aa:00:00:00:00:01', [text(60, 'msft 5.0')]), ['re-ci'], '~= is case-sensitive');
  t.same(classes('02:00:00:00:00:01', [text(60, 'x')]), ['lab-mac'], 'substring of hardware');
});
