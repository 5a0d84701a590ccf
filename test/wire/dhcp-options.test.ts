// The DHCP option table: one row per option, the constants the code uses derived from it.
import t from 'tap';
import { AGENT_SUBOPT, OPT, STANDARD_OPTIONS } from '../../src/wire/dhcp-options.js';

t.test('every named option constant is a row of the table', async (t) => {
  for (const [k, code] of Object.entries(OPT)) {
    if (k === 'PAD' || k === 'END') continue;
    t.ok(STANDARD_OPTIONS.byNumber(code), `OPT.${k} (${code}) is in the dhcp space`);
  }
  t.equal(OPT.SERVER_ID, 54);
  t.equal(OPT.AGENT_INFO, 82);
  t.equal(OPT.CLIENT_FQDN, 81);
  t.equal(STANDARD_OPTIONS.byNumber(OPT.CLIENT_ID)?.name, 'dhcp-client-identifier');
  t.equal(STANDARD_OPTIONS.lookup('agent', 'link-selection')?.code, AGENT_SUBOPT.LINK_SELECTION);
  t.equal(AGENT_SUBOPT.CIRCUIT_ID, 1);
  t.equal(AGENT_SUBOPT.REMOTE_ID, 2);
});
