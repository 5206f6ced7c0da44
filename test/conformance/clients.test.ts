import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { detectClient, type ClientId } from '../../src/service/log/clients.js';

/**
 * The provisioning log's client detection, replayed on the exact requests of the recorded Okta and
 * Entra ID conversations: every one is recognised, from its User-Agent, and for Entra also from
 * its shape alone (the same requests without a User-Agent, as a proxy that strips it would send).
 */
const dir = fileURLToPath(new URL('./fixtures/', import.meta.url));

interface Step {
  readonly request: { readonly method: string; readonly path: string; readonly headers?: Record<string, string>; readonly body?: unknown };
}

for (const [idp, client] of [
  ['okta', 'okta'],
  ['entra', 'entra'],
] as [string, ClientId][]) {
  test(`every request of the ${idp} fixtures is detected as ${client}`, () => {
    let n = 0;
    for (const file of readdirSync(`${dir}${idp}`).filter((f) => f.endsWith('.json'))) {
      const { steps } = JSON.parse(readFileSync(`${dir}${idp}/${file}`, 'utf8')) as { steps: Step[] };
      for (const { request } of steps) {
        const shape = { userAgent: request.headers?.['user-agent'], method: request.method, url: request.path, body: request.body };
        assert.equal(detectClient(shape), client, `${file}: ${request.method} ${request.path}`);
        n++;
      }
    }
    assert.ok(n >= 10, `${n} requests replayed`);
  });
}

test("Entra's capitalised PATCH bodies from the fixtures are recognised without a User-Agent", () => {
  let patches = 0;
  for (const file of readdirSync(`${dir}entra`).filter((f) => f.endsWith('.json'))) {
    const { steps } = JSON.parse(readFileSync(`${dir}entra/${file}`, 'utf8')) as { steps: Step[] };
    for (const { request } of steps) {
      const ops = (request.body as { Operations?: { op: string }[] } | undefined)?.Operations;
      if (request.method !== 'PATCH' || !ops?.some((o) => /^[A-Z]/.test(o.op))) continue;
      assert.equal(detectClient({ userAgent: undefined, method: request.method, url: request.path, body: request.body }), 'entra', `${file}: ${request.path}`);
      patches++;
    }
  }
  assert.ok(patches >= 3, `${patches} capitalised PATCHes replayed`);
});
