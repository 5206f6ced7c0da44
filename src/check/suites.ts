import { randomUUID } from 'node:crypto';
import { conversationSuite } from './conversations.js';
import type { Check, CheckContext, Suite } from './framework.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const SPC = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';

const q = (filter: string) => encodeURIComponent(filter);
const check = (id: string, title: string, ref: string, run: (ctx: CheckContext) => Promise<void>): Check => ({ id, title, ref, run });

/** PATCH answers 200 with the resource or 204 (RFC 7644 §3.5.2). */
const PATCHED = [200, 204] as const;

async function readUser(ctx: CheckContext, id: string): Promise<Record<string, any>> {
  const r = await ctx.http.request('GET', `/Users/${id}`);
  ctx.status(r, 200, `reading /Users/${id}`);
  return r.body;
}

// ---------------------------------------------------------------------------------------------
// RFC 7643 / RFC 7644: what any client may rely on. Optional features only as advertised.
// ---------------------------------------------------------------------------------------------

type GenericUsers = { a: Record<string, any>; b: Record<string, any> };

/** The filter rules the generic suite checks, one check each: id, title, the filter, the users it must find. */
const FILTER_RULES: readonly [string, string, (run: string, u: GenericUsers) => { text: string; ids: string }, readonly ('a' | 'b')[]][] = [
  ['sw', '"sw" on userName', (run) => ({ text: `userName sw "${run}-rfc-"`, ids: `userName sw "${run}-rfc-"` }), ['a', 'b']],
  [
    'case',
    'attribute names and userName values are case-insensitive',
    (_run, u) => ({ text: `USERNAME eq "${(u.a.userName as string).toUpperCase()}"`, ids: 'USERNAME eq <upper-cased userName> (RFC 7643 §2.1, §4.1.1)' }),
    ['a'],
  ],
  ['and-co', '"and" with "co"', (run) => ({ text: `userName sw "${run}-rfc-" and displayName co "Beta"`, ids: '"and" with displayName co "Beta"' }), ['b']],
  [
    'or',
    '"or" in parentheses',
    (run) => ({ text: `userName sw "${run}-rfc-" and (displayName eq "Alpha Check" or displayName eq "Beta Check")`, ids: '"or" in parentheses' }),
    ['a', 'b'],
  ],
  ['pr', '"pr" (present)', (run) => ({ text: `userName sw "${run}-rfc-" and title pr`, ids: 'title pr' }), ['a']],
  ['not', '"not"', (run) => ({ text: `userName sw "${run}-rfc-" and not (title pr)`, ids: 'not (title pr)' }), ['b']],
  [
    'value-path',
    'a value path: emails[type eq "work" and value eq …]',
    (_run, u) => ({ text: `emails[type eq "work" and value eq "${u.a.userName}"]`, ids: 'emails[type eq "work" and value eq …]' }),
    ['a'],
  ],
  [
    'sub-ew',
    'a sub-attribute with "ew"',
    (run) => ({ text: `userName sw "${run}-rfc-" and name.givenName ew "ha Check"`, ids: 'name.givenName ew "ha Check"' }),
    ['a'],
  ],
];

async function genericUsers(ctx: CheckContext): Promise<{ a: Record<string, any>; b: Record<string, any> }> {
  if (ctx.state.has('genericUsers')) return ctx.state.get('genericUsers') as never;
  const make = async (suffix: string, displayName: string, title?: string) => {
    const userName = `${ctx.name(`rfc-${suffix}`)}@example.com`;
    const r = await ctx.http.request('POST', '/Users', {
      body: {
        schemas: [USER],
        userName,
        displayName,
        ...(title ? { title } : {}),
        name: { givenName: displayName, familyName: 'Check' },
        emails: [{ type: 'work', value: userName, primary: true }],
      },
    });
    ctx.status(r, 201, `creating ${userName}`);
    ctx.track(`/Users/${r.body.id}`);
    return r.body as Record<string, any>;
  };
  const users = { a: await make('a', 'Alpha Check', 'Engineer'), b: await make('b', 'Beta Check') };
  ctx.state.set('genericUsers', users);
  return users;
}

const RFC = 'RFC 7644';

export const generic: Suite = {
  id: 'generic',
  title: 'RFC 7643 / 7644',
  checks: [
    check('generic.service-provider-config', 'ServiceProviderConfig', 'RFC 7643 §5', async (ctx) => {
      const r = await ctx.http.request('GET', '/ServiceProviderConfig');
      ctx.status(r, 200);
      ctx.expect(Array.isArray(r.body?.schemas) && r.body.schemas.includes(SPC), `"schemas": ["${SPC}"]`);
      for (const f of ['patch', 'bulk', 'filter', 'changePassword', 'sort', 'etag'])
        ctx.expect(typeof r.body[f]?.supported === 'boolean', `"${f}": {"supported": true|false} (RFC 7643 §5: required)`);
      ctx.expect(Array.isArray(r.body.authenticationSchemes), '"authenticationSchemes" as an array');
    }),
    check('generic.resource-types', 'ResourceTypes lists User with its schema', 'RFC 7643 §6, RFC 7644 §4', async (ctx) => {
      const r = await ctx.http.request('GET', '/ResourceTypes');
      ctx.status(r, 200);
      const types = (Array.isArray(r.body) ? r.body : r.body?.Resources) as Record<string, any>[] | undefined;
      ctx.expect(Array.isArray(types), 'a ListResponse (or array) of ResourceType resources');
      const user = types!.find((t) => t.name === 'User' || t.id === 'User');
      ctx.expect(user && user.endpoint === '/Users' && user.schema === USER, `a "User" resource type at "/Users" with schema "${USER}"`);
      ctx.state.set('resourceTypes', types);
    }),
    check('generic.schemas', 'Schemas describes every resource type schema', 'RFC 7643 §7, RFC 7644 §4', async (ctx) => {
      const r = await ctx.http.request('GET', '/Schemas');
      ctx.status(r, 200);
      const schemas = (Array.isArray(r.body) ? r.body : r.body?.Resources) as Record<string, any>[] | undefined;
      ctx.expect(Array.isArray(schemas), 'a ListResponse (or array) of Schema resources');
      const ids = new Set(schemas!.map((s) => s.id));
      const types = (ctx.state.get('resourceTypes') as Record<string, any>[] | undefined) ?? [];
      for (const t of types) {
        ctx.expect(ids.has(t.schema), `the schema "${t.schema}" of resource type "${t.name}" in /Schemas`);
        for (const e of (t.schemaExtensions as { schema: string }[] | undefined) ?? [])
          ctx.expect(ids.has(e.schema), `the extension "${e.schema}" of "${t.name}" in /Schemas`);
      }
      const user = schemas!.find((s) => s.id === USER);
      ctx.expect(user && (user.attributes as { name: string }[]).some((a) => a.name === 'userName'), 'the User schema declares "userName"');
      ctx.state.set('schemas', schemas);
    }),
    check('generic.create-read', 'create and read a user: Location, meta and the same resource', `${RFC} §3.3, §3.4.1; RFC 7643 §3.1`, async (ctx) => {
      const { a } = await genericUsers(ctx);
      ctx.expect(typeof a.meta?.location === 'string' && a.meta.location.endsWith(`/Users/${a.id}`), '"meta.location" ending in /Users/<id>');
      ctx.expect(a.meta?.resourceType === 'User', '"meta.resourceType": "User"');
      const read = await readUser(ctx, a.id);
      ctx.expect(read.userName === a.userName && read.id === a.id, 'the same user read back');
    }),
    check(
      'generic.discovery-consistent',
      "a user's attributes are declared in /Schemas",
      'RFC 7643 §2, §7: resources carry only what their schemas define',
      async (ctx) => {
        const schemas = ctx.need<Record<string, any>[]>('schemas');
        const { a } = await genericUsers(ctx);
        const declared = new Set(((schemas.find((s) => s.id === USER)?.attributes ?? []) as { name: string }[]).map((x) => x.name.toLowerCase()));
        for (const key of Object.keys(a)) {
          if (['schemas', 'id', 'meta', 'externalid'].includes(key.toLowerCase())) continue;
          if (key.startsWith('urn:')) {
            ctx.expect(
              (a.schemas as string[]).includes(key) && schemas.some((s) => s.id === key),
              `the extension "${key}" in the user's "schemas" and in /Schemas`,
            );
            continue;
          }
          ctx.expect(declared.has(key.toLowerCase()), `"${key}" declared in the User schema of /Schemas`);
        }
      },
    ),
    // One check per filter rule (RFC 7644 §3.4.2.2), so that a failure names the rule that broke.
    ...FILTER_RULES.map(([id, title, filter, want]) =>
      check(`generic.filter-${id}`, `filter: ${title}`, `${RFC} §3.4.2.2`, async (ctx) => {
        ctx.requireFeature('filter');
        const users = await genericUsers(ctx);
        const { text, ids } = filter(ctx.run, users);
        const list = ctx.listResponse(await ctx.http.request('GET', `/Users?filter=${q(text)}&count=100`));
        const got = new Set(list.Resources.map((r) => r.id as string));
        const wanted = want.map((k) => users[k].id as string);
        ctx.expect(
          got.size === wanted.length && wanted.every((w) => got.has(w)),
          `${ids}: exactly ${wanted.length === 1 ? 'one user' : `${wanted.length} users`} (${want.join(', ')}), got ${got.size}`,
        );
      }),
    ),
    check('generic.sort', 'sortBy and sortOrder', `${RFC} §3.4.2.3`, async (ctx) => {
      ctx.requireFeature('sort');
      await genericUsers(ctx);
      const list = ctx.listResponse(await ctx.http.request('GET', `/Users?filter=${q(`userName sw "${ctx.run}-rfc-"`)}&sortBy=userName&sortOrder=descending`));
      const names = list.Resources.map((r) => r.userName as string);
      ctx.expect(names.length === 2 && names[0]! > names[1]!, `userNames in descending order, got ${JSON.stringify(names)}`);
    }),
    check('generic.paging', 'startIndex and count', `${RFC} §3.4.2.4`, async (ctx) => {
      await genericUsers(ctx);
      const list = ctx.listResponse(await ctx.http.request('GET', `/Users?filter=${q(`userName sw "${ctx.run}-rfc-"`)}&startIndex=2&count=1`));
      ctx.expect(list.totalResults === 2, '"totalResults": 2 whatever the page');
      ctx.expect(list.Resources.length === 1, 'one resource for count=1');
      ctx.expect(list.startIndex === 2, '"startIndex": 2');
      ctx.expect(list.itemsPerPage === 1, '"itemsPerPage": 1');
    }),
    check('generic.projection', 'attributes and excludedAttributes', `${RFC} §3.4.2.5, §3.9`, async (ctx) => {
      const { a } = await genericUsers(ctx);
      const only = await ctx.http.request('GET', `/Users/${a.id}?attributes=userName`);
      ctx.status(only, 200);
      ctx.expect(only.body.userName === a.userName && only.body.id === a.id, '"userName" and "id" (always returned) with attributes=userName');
      ctx.expect(only.body.name === undefined && only.body.emails === undefined, 'no "name" or "emails" with attributes=userName');
      const without = await ctx.http.request('GET', `/Users/${a.id}?excludedAttributes=name`);
      ctx.status(without, 200);
      ctx.expect(without.body.name === undefined && without.body.userName === a.userName, 'no "name", but "userName", with excludedAttributes=name');
    }),
    check('generic.patch', 'PATCH add, replace and remove with value paths', `${RFC} §3.5.2.1–3`, async (ctx) => {
      ctx.requireFeature('patch');
      const { b } = await genericUsers(ctx);
      const home = `home.${b.userName}`;
      const patch = (...Operations: unknown[]) => ctx.http.request('PATCH', `/Users/${b.id}`, { body: { schemas: [PATCH], Operations } });
      const emails = async () => ((await readUser(ctx, b.id)).emails as { type?: string; value: string }[] | undefined) ?? [];
      ctx.status(await patch({ op: 'add', path: 'emails', value: [{ type: 'home', value: home }] }), PATCHED);
      ctx.expect(
        (await emails()).some((e) => e.type === 'home' && e.value === home),
        `add: a home email ${home}`,
      );
      ctx.status(await patch({ op: 'replace', path: 'emails[type eq "home"].value', value: `new.${home}` }), PATCHED);
      ctx.expect(
        (await emails()).some((e) => e.type === 'home' && e.value === `new.${home}`),
        `replace with a value path: the home email is new.${home}`,
      );
      ctx.status(await patch({ op: 'remove', path: 'emails[type eq "home"]' }), PATCHED);
      const after = await emails();
      ctx.expect(!after.some((e) => e.type === 'home'), 'remove with a value path: no home email left');
      ctx.expect(
        after.some((e) => e.type === 'work'),
        'remove left the work email',
      );
      ctx.status(await patch({ op: 'remove', path: 'displayName' }), PATCHED);
      ctx.expect((await readUser(ctx, b.id)).displayName === undefined, 'remove of a simple attribute: no "displayName"');
    }),
    check('generic.etag', 'ETags: If-None-Match and If-Match', `${RFC} §3.14`, async (ctx) => {
      ctx.requireFeature('etag');
      const { a } = await genericUsers(ctx);
      const r = await ctx.http.request('GET', `/Users/${a.id}`);
      const etag = r.headers.etag;
      ctx.expect(typeof etag === 'string' && etag.length > 0, 'an ETag header on GET');
      ctx.expect(r.body.meta?.version === etag, '"meta.version" equal to the ETag header');
      ctx.status(await ctx.http.request('GET', `/Users/${a.id}`, { headers: { 'if-none-match': etag! } }), 304, 'for If-None-Match with the current version');
      const stale = await ctx.http.request('PUT', `/Users/${a.id}`, {
        headers: { 'if-match': 'W/"stale-rcheck"' },
        body: { schemas: [USER], userName: a.userName },
      });
      ctx.status(stale, 412, 'for If-Match with another version');
    }),
    check('generic.error-invalid-filter', 'a malformed filter', `${RFC} §3.4.2.2, §3.12: 400 with scimType "invalidFilter"`, async (ctx) => {
      ctx.errorBody(await ctx.http.request('GET', `/Users?filter=${q('userName eq')}`), 400, 'invalidFilter');
    }),
    check('generic.error-not-found', 'an unknown resource', `${RFC} §3.12: 404 with an error body`, async (ctx) => {
      ctx.errorBody(await ctx.http.request('GET', `/Users/${randomUUID()}`), 404);
      ctx.errorBody(await ctx.http.request('GET', `/Groups/${randomUUID()}`), 404);
    }),
    check('generic.error-unauthenticated', 'no credentials', 'RFC 7644 §2: authentication is required; 401', async (ctx) => {
      ctx.status(await ctx.http.request('GET', '/Users', { token: null }), 401);
    }),
    check('generic.read-only', 'writes to discovery endpoints', 'RFC 7644 §4: discovery endpoints are read-only; RFC 9110 §15.5.6: 405', async (ctx) => {
      for (const [method, path] of [
        ['POST', '/ServiceProviderConfig'],
        ['PUT', '/ResourceTypes/User'],
        ['DELETE', `/Schemas/${USER}`],
      ] as const) {
        const r = await ctx.http.request(method, path, method === 'DELETE' ? {} : { body: {} });
        ctx.status(r, 405, `for ${method} ${path}`);
      }
    }),
    check('generic.bulk', 'Bulk with a bulkId reference', `${RFC} §3.7`, async (ctx) => {
      ctx.requireFeature('bulk');
      const userName = `${ctx.name('bulk')}@example.com`;
      const r = await ctx.http.request('POST', '/Bulk', {
        body: {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
          Operations: [
            { method: 'POST', path: '/Users', bulkId: 'u1', data: { schemas: [USER], userName } },
            {
              method: 'POST',
              path: '/Groups',
              bulkId: 'g1',
              data: { schemas: [GROUP], displayName: ctx.name('bulk-group'), members: [{ value: 'bulkId:u1' }] },
            },
          ],
        },
      });
      // Whatever the answer, what the Bulk made is found and cleaned up: by each operation's
      // location (absolute or relative, RFC 7644 §3.7.3 shows both), and by name for any without one.
      const ops = (r.body?.Operations as { status: string; location?: string; bulkId?: string }[] | undefined) ?? [];
      for (const op of ops) {
        const path = op.location ? resourcePath(ctx.http.base, op.location) : undefined;
        if (path) ctx.track(path);
      }
      try {
        ctx.status(r, 200);
        ctx.expect(ops.length === 2 && ops.every((o) => o.status === '201'), 'two operations with "status": "201"');
      } finally {
        await trackByName(ctx, `/Users?filter=${q(`userName eq "${userName}"`)}`, '/Users');
        await trackByName(ctx, `/Groups?filter=${q(`displayName eq "${ctx.name('bulk-group')}"`)}&excludedAttributes=members`, '/Groups');
      }
    }),
    check('generic.delete', 'delete a user', `${RFC} §3.6`, async (ctx) => {
      const { a } = await genericUsers(ctx);
      ctx.status(await ctx.http.request('DELETE', `/Users/${a.id}`), 204);
      ctx.untrack(`/Users/${a.id}`);
      ctx.errorBody(await ctx.http.request('GET', `/Users/${a.id}`), 404);
    }),
  ],
};

// The identity providers' suites are their recorded conversations (conversations.ts).
export const SUITES: Record<'okta' | 'entra' | 'generic', Suite> = { okta: conversationSuite('okta'), entra: conversationSuite('entra'), generic };

/** The /Users/<id> or /Groups/<id> a location names, absolute or relative to the base URL; undefined when it names neither. */
export function resourcePath(base: URL, location: string): string | undefined {
  let url: URL;
  try {
    url = new URL(location, `${base.href.replace(/\/?$/, '/')}`);
  } catch {
    return undefined;
  }
  return /(\/(Users|Groups)\/[^/]+)$/.exec(url.pathname)?.[1];
}

/** Tracks, for the cleanup, every resource a lookup finds that is not tracked yet. */
async function trackByName(ctx: CheckContext, lookup: string, collection: '/Users' | '/Groups'): Promise<void> {
  const r = await ctx.http.request('GET', lookup);
  const found = (r.body?.Resources as { id?: unknown }[] | undefined) ?? [];
  for (const x of found) if (typeof x.id === 'string' && !ctx.created.includes(`${collection}/${x.id}`)) ctx.track(`${collection}/${x.id}`);
}
