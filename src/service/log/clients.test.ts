import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLIENT_IDS, CLIENT_RULES, detectClient, type ClientId, type RequestShape } from './clients.js';

const req = (over: Partial<RequestShape>): RequestShape => ({ userAgent: undefined, method: 'GET', url: '/Users', body: undefined, ...over });

const cases: { name: string; in: Partial<RequestShape>; out: ClientId }[] = [
  // The User-Agents the replayed conversations carry (test/conformance/fixtures).
  { name: 'Okta SCIM client', in: { userAgent: 'Okta SCIM Client 1.0.0' }, out: 'okta' },
  { name: 'Entra (Azure AD) client', in: { userAgent: 'Azure Active Directory SCIM Client' }, out: 'entra' },
  { name: 'Entra under a Microsoft name', in: { userAgent: 'Microsoft.Identity.Provisioning/1.0' }, out: 'entra' },
  { name: 'OneLogin', in: { userAgent: 'OneLogin SCIM Connector' }, out: 'onelogin' },
  { name: 'JumpCloud', in: { userAgent: 'JumpCloud-SCIM/2.0' }, out: 'jumpcloud' },
  { name: 'PingFederate', in: { userAgent: 'PingFederate/12.0 SCIM' }, out: 'ping' },
  { name: 'PingOne', in: { userAgent: 'PingOne Provisioning' }, out: 'ping' },
  { name: 'Google Workspace', in: { userAgent: 'Google-Auto-Provisioning' }, out: 'google' },
  { name: 'Rippling', in: { userAgent: 'Rippling SCIM' }, out: 'rippling' },
  { name: 'curl is generic', in: { userAgent: 'curl/8.5.0' }, out: 'generic' },
  { name: 'no User-Agent is generic', in: {}, out: 'generic' },
  { name: '"shopping" is not Ping', in: { userAgent: 'shopping-bot/1.0' }, out: 'generic' },
  // Shapes, when the User-Agent says nothing.
  { name: "Entra's aadOptscim062020 flag", in: { url: '/Users?aadOptscim062020' }, out: 'entra' },
  {
    name: "Entra's capitalised PATCH op",
    in: { method: 'PATCH', url: '/Users/1', body: { Operations: [{ op: 'Replace', path: 'active', value: 'False' }] } },
    out: 'entra',
  },
  {
    name: 'a lower-case PATCH op says nothing',
    in: { method: 'PATCH', url: '/Users/1', body: { Operations: [{ op: 'replace', path: 'active', value: false }] } },
    out: 'generic',
  },
  { name: "Okta's lookup with startIndex=1&count=100", in: { url: '/Users?filter=userName%20eq%20%22a%40b.c%22&startIndex=1&count=100' }, out: 'okta' },
  { name: 'a User-Agent wins over a shape', in: { userAgent: 'OneLogin', url: '/Users?aadOptscim062020' }, out: 'onelogin' },
];

for (const c of cases) {
  test(`detectClient: ${c.name}`, () => {
    assert.equal(detectClient(req(c.in)), c.out);
  });
}

test('every client but generic has a User-Agent rule, and every rule says why', () => {
  for (const id of CLIENT_IDS.filter((c) => c !== 'generic'))
    assert.ok(
      CLIENT_RULES.some((r) => r.client === id && r.userAgent),
      id,
    );
  for (const r of CLIENT_RULES) assert.ok(r.why.length > 10 && (r.userAgent || r.shape), r.client);
});
