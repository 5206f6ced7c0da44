// Runs the example: npx tsx examples/embedded-app/main.ts (creates the organization "example" and
// prints a token for your identity provider on the first run).
import { createExampleApp } from './app.js';

const app = await createExampleApp({ database: './data/example-rollcall.db', accountsFile: './data/example-accounts.db', org: 'example', seats: 100 });
if ((await app.rollcall.directory.organizations.listTokens('example')).length === 0) {
  const { token } = await app.rollcall.directory.organizations.issueToken('example', 'identity provider');
  console.log(`SCIM token for "example" (shown once): ${token}`);
}
const address = await app.server.listen({ host: '127.0.0.1', port: 3000 });
console.log(`Example app: SCIM at ${address}/scim/v2, accounts at ${address}/accounts`);
