import type { Check, CheckContext, Suite } from './framework.js';

/**
 * `rollcall check --profile interop|ipsie-al1` (docs/profiles.md): a server against one of the 2026
 * profiles, requirement by requirement. Each check names the requirement it tests and its level;
 * a SHOULD that fails is reported apart and does not fail the run. What cannot be seen over SCIM
 * (a log, an application cutting sessions) is skipped with the reason.
 */

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const q = (filter: string) => encodeURIComponent(filter);
const PATCHED = [200, 204] as const;

const INTEROP = 'draft-zollner-scim-interop-profile-02';
const IPSIE = 'draft-schreiber-ipsie-scim-al1-profile';

const must = (id: string, title: string, ref: string, run: (ctx: CheckContext) => Promise<void>): Check => ({ id, title, ref, level: 'MUST', run });
const should = (id: string, title: string, ref: string, run: (ctx: CheckContext) => Promise<void>): Check => ({ id, title, ref, level: 'SHOULD', run });

/** A user made by the run (tracked for the cleanup), with a work email. */
async function makeUser(ctx: CheckContext, what: string, extra: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const userName = `${ctx.name(what)}@example.com`;
  const r = await ctx.http.request('POST', '/Users', {
    body: { schemas: [USER], userName, displayName: `Check ${what}`, active: true, emails: [{ type: 'work', value: userName, primary: true }], ...extra },
  });
  ctx.status(r, 201, `creating ${userName}`);
  ctx.track(`/Users/${r.body.id}`);
  return r.body as Record<string, any>;
}

async function userSchema(ctx: CheckContext): Promise<{ name: string; subAttributes?: { name: string; canonicalValues?: string[] }[] }[]> {
  const r = await ctx.http.request('GET', `/Schemas/${USER}`);
  ctx.status(r, 200, `reading /Schemas/${USER}`);
  return (r.body?.attributes as never) ?? [];
}

/** A request the profile refuses: 400 with the scimType it names, and the user left as it was. */
async function refusedAndUnchanged(ctx: CheckContext, user: Record<string, any>, body: unknown, scimType: string, what: string): Promise<void> {
  const r = await ctx.http.request('PATCH', `/Users/${user.id}`, { body });
  ctx.errorBody(r, 400, scimType);
  const after = await ctx.http.request('GET', `/Users/${user.id}`);
  ctx.status(after, 200);
  ctx.expect(after.body?.meta?.version === undefined || after.body.meta.version === user.meta?.version, `${what} changed nothing (the same meta.version)`);
}

export const interop: Suite = {
  id: 'interop',
  title: 'SCIM interoperability profile',
  checks: [
    must('interop.claim', 'ServiceProviderConfig claims the profile', `${INTEROP}: interopProfileConformant`, async (ctx) => {
      const spc = ctx.serviceProviderConfig;
      ctx.expect(spc?.interopProfileConformant === true, '"interopProfileConformant": true in ServiceProviderConfig');
    }),
    must('interop.unknown-attribute', 'an unknown attribute in a POST is 400 invalidSyntax', `${INTEROP}: unknown attributes`, async (ctx) => {
      const userName = `${ctx.name('unknown-attr')}@example.com`;
      const r = await ctx.http.request('POST', '/Users', { body: { schemas: [USER], userName, shoeSizeOfTheCheck: 9 } });
      if (r.status === 201) ctx.track(`/Users/${r.body.id}`);
      ctx.errorBody(r, 400, 'invalidSyntax');
    }),
    must('interop.unknown-schema', 'an unknown schema URI in "schemas" is 400 invalidSyntax', `${INTEROP}: unknown schema URIs`, async (ctx) => {
      const userName = `${ctx.name('unknown-schema')}@example.com`;
      const r = await ctx.http.request('POST', '/Users', { body: { schemas: [USER, 'urn:example:params:scim:schemas:check:2.0:Unknown'], userName } });
      if (r.status === 201) ctx.track(`/Users/${r.body.id}`);
      ctx.errorBody(r, 400, 'invalidSyntax');
    }),
    must(
      'interop.patch-path-required',
      'a PATCH operation without "path" is 400 invalidSyntax, and changes nothing',
      `${INTEROP}: PATCH operations carry a path`,
      async (ctx) => {
        const u = await makeUser(ctx, 'pathless');
        await refusedAndUnchanged(
          ctx,
          u,
          { schemas: [PATCH], Operations: [{ op: 'replace', value: { displayName: 'Changed' } }] },
          'invalidSyntax',
          'the refused PATCH',
        );
      },
    ),
    must(
      'interop.filtered-path',
      'a filtered path without a sub-attribute (emails[type eq "work"]) is 400 invalidSyntax',
      `${INTEROP}: value filters name a sub-attribute`,
      async (ctx) => {
        const u = await makeUser(ctx, 'filtered');
        await refusedAndUnchanged(
          ctx,
          u,
          { schemas: [PATCH], Operations: [{ op: 'replace', path: 'emails[type eq "work"]', value: { value: 'other@example.com' } }] },
          'invalidSyntax',
          'the refused PATCH',
        );
        const ok = await ctx.http.request('PATCH', `/Users/${u.id}`, {
          body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'emails[type eq "work"].value', value: `${ctx.name('filtered2')}@example.com` }] },
        });
        ctx.status(ok, PATCHED, 'for emails[type eq "work"].value, which names the sub-attribute');
      },
    ),
    must('interop.add-is-replace', '"add" and "replace" are the same on a singular attribute', `${INTEROP} §6.4.2.1`, async (ctx) => {
      const u = await makeUser(ctx, 'add-replace');
      const r = await ctx.http.request('PATCH', `/Users/${u.id}`, {
        body: { schemas: [PATCH], Operations: [{ op: 'add', path: 'displayName', value: 'Added Over' }] },
      });
      ctx.status(r, PATCHED);
      const after = await ctx.http.request('GET', `/Users/${u.id}`);
      ctx.expect(after.body?.displayName === 'Added Over', '"add" to displayName replaced its value');
    }),
    must('interop.canonical-values', 'typed multi-valued attributes list their canonicalValues in /Schemas', `${INTEROP}: canonicalValues`, async (ctx) => {
      const attrs = await userSchema(ctx);
      for (const name of ['emails', 'phoneNumbers', 'addresses']) {
        const a = attrs.find((x) => x.name === name);
        if (!a) continue;
        const type = a.subAttributes?.find((s) => s.name === 'type');
        ctx.expect(Array.isArray(type?.canonicalValues) && type.canonicalValues.length > 0, `${name}.type with canonicalValues`);
      }
    }),
    must(
      'interop.case-rules',
      'one case rule for filters and uniqueness (userName is caseExact false)',
      `${INTEROP}: case sensitivity; RFC 7643 §4.1.1`,
      async (ctx) => {
        const u = await makeUser(ctx, 'case');
        const upper = String(u.userName).toUpperCase();
        const found = ctx.listResponse(await ctx.http.request('GET', `/Users?filter=${q(`userName eq "${upper}"`)}`));
        ctx.expect(
          found.Resources.some((r) => r.id === u.id),
          'the user found by its userName in upper case',
        );
        const twin = await ctx.http.request('POST', '/Users', { body: { schemas: [USER], userName: upper } });
        if (twin.status === 201) ctx.track(`/Users/${twin.body.id}`);
        ctx.errorBody(twin, 409, 'uniqueness');
      },
    ),
    must('interop.delete-frees', 'DELETE deletes the user and frees its userName', `${INTEROP}: DELETE; RFC 7644 §3.6`, async (ctx) => {
      const u = await makeUser(ctx, 'delete');
      ctx.status(await ctx.http.request('DELETE', `/Users/${u.id}`), 204);
      ctx.untrack(`/Users/${u.id}`);
      ctx.errorBody(await ctx.http.request('GET', `/Users/${u.id}`), 404);
      const again = await ctx.http.request('POST', '/Users', { body: { schemas: [USER], userName: u.userName } });
      if (again.status === 201) ctx.track(`/Users/${again.body.id}`);
      ctx.status(again, 201, 'creating the same userName again');
    }),
    must('interop.count-100', 'a count of 100 is honoured', `${INTEROP}: paging`, async (ctx) => {
      const max = Number(ctx.serviceProviderConfig?.filter?.maxResults);
      ctx.expect(!Number.isFinite(max) || max >= 100, `filter.maxResults at least 100, got ${max}`);
      const page = ctx.listResponse(await ctx.http.request('GET', '/Users?startIndex=1&count=100'));
      ctx.expect(
        page.Resources.length === Math.min(100, page.totalResults),
        `min(100, totalResults) = ${Math.min(100, page.totalResults)} resources, got ${page.Resources.length}`,
      );
    }),
    must('interop.resource-type-ids', "every ResourceType's id is its name", `${INTEROP}: ResourceTypes`, async (ctx) => {
      const list = ctx.listResponse(await ctx.http.request('GET', '/ResourceTypes'));
      const wrong = list.Resources.filter((t) => t.id !== t.name).map((t) => `${t.id} ≠ ${t.name}`);
      ctx.expect(wrong.length === 0, `id equal to name (${wrong.join(', ')})`);
    }),
  ],
};

export const ipsieAl1: Suite = {
  id: 'ipsie-al1',
  title: 'OpenID IPSIE SCIM AL1',
  checks: [
    must('ipsie.user-schema', 'the User schema has userName, displayName and active; externalId is kept', `${IPSIE}: User schema`, async (ctx) => {
      const names = new Set((await userSchema(ctx)).map((a) => a.name));
      for (const n of ['userName', 'displayName', 'active']) ctx.expect(names.has(n), `"${n}" in the User schema of /Schemas`);
      const u = await makeUser(ctx, 'external', { externalId: `ext-${ctx.run}` });
      const read = await ctx.http.request('GET', `/Users/${u.id}`);
      ctx.expect(read.body?.externalId === `ext-${ctx.run}`, 'externalId kept and returned');
    }),
    must('ipsie.no-password', 'no password attribute in the User schema', `${IPSIE}: no credentials`, async (ctx) => {
      const names = (await userSchema(ctx)).map((a) => a.name);
      ctx.expect(!names.includes('password'), 'no "password" in the User schema of /Schemas');
    }),
    ...(
      [
        ['userName', (u: Record<string, any>) => `userName eq "${u.userName}"`],
        ['externalId', (u: Record<string, any>) => `externalId eq "${u.externalId}"`],
        ['emails-value', (u: Record<string, any>) => `emails[value eq "${u.emails[0].value}"]`],
        ['emails-work', (u: Record<string, any>) => `emails[type eq "work" and value eq "${u.emails[0].value}"]`],
      ] as const
    ).map(([id, filter]) =>
      must(`ipsie.filter-${id}`, `the filter ${filter({ userName: '…', externalId: '…', emails: [{ value: '…' }] })}`, `${IPSIE}: filters`, async (ctx) => {
        const key = 'ipsie.filterUser';
        if (!ctx.state.has(key)) ctx.state.set(key, await makeUser(ctx, 'filters', { externalId: `filters-${ctx.run}` }));
        const u = ctx.state.get(key) as Record<string, any>;
        const list = ctx.listResponse(await ctx.http.request('GET', `/Users?filter=${q(filter(u))}`));
        ctx.expect(list.Resources.length === 1 && list.Resources[0].id === u.id, `exactly the user, got ${list.Resources.length}`);
      }),
    ),
    must('ipsie.pagination', 'a pagination method: startIndex and count', `${IPSIE}: pagination`, async (ctx) => {
      await makeUser(ctx, 'page-a');
      await makeUser(ctx, 'page-b');
      const page = ctx.listResponse(await ctx.http.request('GET', `/Users?filter=${q(`userName sw "${ctx.run}-page-"`)}&startIndex=2&count=1`));
      ctx.expect(
        page.totalResults === 2 && page.Resources.length === 1,
        `totalResults 2 and one resource on the page, got ${page.totalResults} and ${page.Resources.length}`,
      );
    }),
    should('ipsie.cursors', 'cursor pagination (RFC 9865)', `${IPSIE}: pagination, cursors recommended`, async (ctx) => {
      ctx.expect(ctx.serviceProviderConfig?.pagination?.cursor === true, 'ServiceProviderConfig pagination.cursor true');
      await makeUser(ctx, 'cursor-a');
      await makeUser(ctx, 'cursor-b');
      const first = await ctx.http.request('GET', `/Users?filter=${q(`userName sw "${ctx.run}-cursor-"`)}&cursor&count=1`);
      ctx.status(first, 200);
      ctx.expect(Array.isArray(first.body?.Resources) && first.body.Resources.length === 1, 'a first page of one');
      ctx.expect(typeof first.body?.nextCursor === 'string', 'a "nextCursor" to the second (RFC 9865 §2)');
      const second = await ctx.http.request(
        'GET',
        `/Users?filter=${q(`userName sw "${ctx.run}-cursor-"`)}&cursor=${encodeURIComponent(first.body.nextCursor)}&count=1`,
      );
      ctx.status(second, 200);
      ctx.expect(second.body?.Resources?.length === 1 && second.body.Resources[0].id !== first.body.Resources[0].id, 'the second page: the other user');
    }),
    must('ipsie.groups', 'groups with displayName, externalId and members; attributes and excludedAttributes', `${IPSIE}: groups`, async (ctx) => {
      const u = await makeUser(ctx, 'member');
      const r = await ctx.http.request('POST', '/Groups', {
        body: { schemas: [GROUP], displayName: ctx.name('group'), externalId: `grp-${ctx.run}`, members: [{ value: u.id }] },
      });
      ctx.status(r, 201, 'creating a group');
      ctx.track(`/Groups/${r.body.id}`);
      ctx.state.set('ipsie.group', r.body.id);
      const only = await ctx.http.request('GET', `/Groups/${r.body.id}?attributes=displayName,externalId`);
      ctx.expect(
        only.body?.displayName === ctx.name('group') && only.body?.externalId === `grp-${ctx.run}` && only.body?.members === undefined,
        'attributes=displayName,externalId: those, without members',
      );
      const without = await ctx.http.request('GET', `/Groups/${r.body.id}?excludedAttributes=members`);
      ctx.expect(
        without.body?.members === undefined && without.body?.displayName === ctx.name('group'),
        'excludedAttributes=members: the group without its members',
      );
      const full = await ctx.http.request('GET', `/Groups/${r.body.id}`);
      ctx.expect(
        ((full.body?.members as { value: string }[] | undefined) ?? []).some((m) => m.value === u.id),
        'the member listed',
      );
    }),
    must('ipsie.fifty-members', '50 member operations in one PATCH', `${IPSIE}: group membership`, async (ctx) => {
      const groupId = ctx.need<string>('ipsie.group');
      const ids: string[] = [];
      for (let i = 0; i < 50; i++) ids.push((await makeUser(ctx, `m${i}`)).id as string);
      const r = await ctx.http.request('PATCH', `/Groups/${groupId}`, {
        body: { schemas: [PATCH], Operations: ids.map((id) => ({ op: 'add', path: 'members', value: [{ value: id }] })) },
      });
      ctx.status(r, PATCHED, 'for 50 add operations');
      const g = await ctx.http.request('GET', `/Groups/${groupId}`);
      const have = new Set(((g.body?.members as { value: string }[] | undefined) ?? []).map((m) => m.value));
      ctx.expect(
        ids.every((id) => have.has(id)),
        `all 50 members added, got ${ids.filter((id) => have.has(id)).length}`,
      );
    }),
    must('ipsie.deactivate-reactivate', 'deactivation and reactivation', `${IPSIE}: lifecycle`, async (ctx) => {
      const u = await makeUser(ctx, 'lifecycle');
      for (const active of [false, true]) {
        const r = await ctx.http.request('PATCH', `/Users/${u.id}`, {
          body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: active }] },
        });
        ctx.status(r, PATCHED, `setting active ${active}`);
        const read = await ctx.http.request('GET', `/Users/${u.id}`);
        ctx.expect(read.body?.active === active, `active ${active} after the PATCH`);
      }
    }),
    must('ipsie.delete-reuse', 'after a delete, the userName can be used again', `${IPSIE}: lifecycle`, async (ctx) => {
      const u = await makeUser(ctx, 'reuse');
      ctx.status(await ctx.http.request('DELETE', `/Users/${u.id}`), 204);
      ctx.untrack(`/Users/${u.id}`);
      const again = await ctx.http.request('POST', '/Users', { body: { schemas: [USER], userName: u.userName } });
      if (again.status === 201) ctx.track(`/Users/${again.body.id}`);
      ctx.status(again, 201, 'creating the same userName again');
    }),
    must('ipsie.rate-limit', 'a rate limit answers 429 with Retry-After', `${IPSIE}: rate limiting`, async (ctx) => {
      // At most 60 reads, one at a time: a server whose limit is higher is not pushed further.
      for (let i = 0; i < 60; i++) {
        const r = await ctx.http.request('GET', '/ServiceProviderConfig');
        if (r.status === 429) {
          ctx.expect(/^\d+$/.test(String(r.headers['retry-after'] ?? '')), 'Retry-After in seconds with the 429');
          return;
        }
      }
      ctx.skip('no 429 within 60 requests: the limit is higher (or off); not pushed further');
    }),
    must('ipsie.logged', 'every create, modify and delete logged', `${IPSIE}: logging`, async (ctx) => {
      ctx.skip("the server's own log is not visible over SCIM (Rollcall: the provisioning log, docs/console.md)");
    }),
    should('ipsie.cut-within-5-minutes', "a deactivation cuts the person's access within 5 minutes", `${IPSIE}: deprovisioning`, async (ctx) => {
      ctx.skip("the application's sessions are not visible over SCIM (Rollcall measures it: org health, deprovisioning)");
    }),
  ],
};

export const PROFILE_SUITES = { interop, 'ipsie-al1': ipsieAl1 } as const;
