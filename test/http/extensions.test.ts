import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CompiledQuery } from 'kysely';
import { parseFilter, resolveFilter } from '../../src/protocol/filter/index.js';
import { DirectoryError } from '../../src/service/errors.js';
import { SqlStore } from '../../src/store/sql/sql-store.js';
import { userListQuery } from '../../src/store/sql/list-query.js';
import { matchesFilter } from '../support/filter-oracle.js';
import { ENGINES } from '../support/engines.js';
import { ERROR_SCHEMA, Harness, USER_SCHEMA, type Org } from '../support/harness.js';

/** A Zulip-like extension: custom profile fields, one of every attribute type. */
export const ZULIP = 'urn:zulip:params:scim:schemas:extension:zulip:2.0:User';
export const zulipExtension = () => ({
  id: ZULIP,
  name: 'ZulipUser',
  description: 'Zulip custom profile fields',
  attributes: [
    { name: 'pronouns', type: 'string', description: 'How to refer to the person' },
    { name: 'githubUsername', type: 'string', caseExact: false, uniqueness: 'none' },
    { name: 'role', type: 'string', canonicalValues: ['owner', 'administrator', 'moderator', 'member', 'guest'] },
    { name: 'level', type: 'integer' },
    { name: 'score', type: 'decimal' },
    { name: 'bot', type: 'boolean' },
    { name: 'joined', type: 'dateTime' },
    { name: 'homepage', type: 'reference', referenceTypes: ['external'] },
    { name: 'avatar', type: 'binary' },
    { name: 'teams', type: 'string', multiValued: true },
    {
      name: 'team',
      type: 'complex',
      subAttributes: [
        { name: 'name', type: 'string' },
        { name: 'lead', type: 'boolean' },
      ],
    },
    { name: 'secret', type: 'string', returned: 'never' },
    { name: 'badge', type: 'string', returned: 'request' },
  ],
});

const GROUP_EXT = 'urn:zulip:params:scim:schemas:extension:zulip:2.0:Group';

async function expectDeclarationError(h: Harness, slug: string, declaration: unknown, pattern: RegExp, options = {}): Promise<void> {
  await assert.rejects(h.directory.schemas.add(slug, declaration, options), (err: unknown) => {
    assert.ok(err instanceof DirectoryError, String(err));
    assert.equal((err as DirectoryError).code, 'ROLLCALL_BAD_SCHEMA');
    assert.match((err as Error).message, pattern);
    return true;
  });
}

for (const engine of ENGINES) {
  describe(`schema extensions per organization on ${engine}`, () => {
    let h: Harness;
    let a: Org;
    let b: Org;
    before(async () => {
      h = await Harness.start(engine);
      a = await h.org('ext-a');
      b = await h.org('ext-b');
      await h.directory.schemas.add('ext-a', zulipExtension());
      await h.directory.schemas.add(
        'ext-a',
        {
          id: GROUP_EXT,
          name: 'ZulipGroup',
          attributes: [
            { name: 'stream', type: 'string' },
            { name: 'weight', type: 'integer' },
          ],
        },
        { resource: 'Group' },
      );
    });
    after(() => h.close());

    test('a bad declaration is refused with what is wrong, and changes nothing', async () => {
      const base = { id: 'urn:acme:params:scim:schemas:extension:acme:2.0:User', name: 'Acme' };
      await expectDeclarationError(h, 'ext-b', { ...base, attributes: [{ name: 'x', type: 'text' }] }, /unknown type "text"/);
      await expectDeclarationError(h, 'ext-b', { ...base, attributes: [{ name: 'x' }, { name: 'X' }] }, /duplicate attribute name "X"/);
      await expectDeclarationError(
        h,
        'ext-b',
        { ...base, id: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', attributes: [{ name: 'x' }] },
        /built-in/,
      );
      await expectDeclarationError(
        h,
        'ext-b',
        { ...base, id: 'urn:ietf:params:scim:schemas:core:2.0:Thing', attributes: [{ name: 'x' }] },
        /only RFC 7643 and RFC 7644 define/,
      );
      await expectDeclarationError(h, 'ext-b', { ...base, id: 'not a urn', attributes: [{ name: 'x' }] }, /is not a URN/);
      await expectDeclarationError(h, 'ext-b', { ...base, attributes: Array.from({ length: 201 }, (_, i) => ({ name: `a${i}` })) }, /more than 200 attributes/);
      await expectDeclarationError(
        h,
        'ext-b',
        { ...base, attributes: [{ name: 'c', type: 'complex', subAttributes: [{ name: 'd', type: 'complex', subAttributes: [{ name: 'e' }] }] }] },
        /cannot be complex/,
      );
      await expectDeclarationError(h, 'ext-b', { ...base, attributes: [{ name: '1st' }] }, /must start with a letter/);
      await expectDeclarationError(
        h,
        'ext-b',
        { ...base, attributes: [{ name: 'x', type: 'integer', canonicalValues: ['1'] }] },
        /canonicalValues apply to string/,
      );
      await expectDeclarationError(h, 'ext-b', { ...base, attributes: [{ name: 'x', required: 'yes' }] }, /"required" must be true or false/);
      await expectDeclarationError(h, 'ext-b', { ...base, attributes: [] }, /non-empty array/);
      await expectDeclarationError(h, 'ext-b', { ...base, attributes: [{ name: 'x', colour: 'red' }] }, /unknown characteristic "colour"/);
      // Declared for Users already: not for Groups too.
      await expectDeclarationError(h, 'ext-a', zulipExtension(), /already declared for Users/, { resource: 'Group' });
      assert.equal((await h.directory.schemas.list('ext-b')).length, 0);
    });

    test('declaring it again may add attributes, never change a type or drop one', async () => {
      const ext = zulipExtension();
      const retyped = { ...ext, attributes: ext.attributes.map((x) => (x.name === 'level' ? { ...x, type: 'string' } : x)) };
      await expectDeclarationError(h, 'ext-a', retyped, /"level" is integer; changing its type to string is refused/);
      await expectDeclarationError(h, 'ext-a', { ...ext, attributes: ext.attributes.filter((x) => x.name !== 'bot') }, /"bot" is missing/);
      const recased = { ...ext, attributes: ext.attributes.map((x) => (x.name === 'pronouns' ? { ...x, caseExact: true } : x)) };
      await expectDeclarationError(h, 'ext-a', recased, /changing caseExact is refused/);
      const { updated, extension } = await h.directory.schemas.add('ext-a', {
        ...ext,
        attributes: [...ext.attributes, { name: 'timezoneName', type: 'string' }],
      });
      assert.equal(updated, true);
      assert.ok(extension.schema.attributes.some((x) => x.name === 'timezoneName'));
    });

    test("discovery shows an organization its own extensions, and no other organization's", async () => {
      const types = await h.request('GET', '/ResourceTypes/User', { org: a });
      assert.deepEqual(types.body.schemaExtensions, [
        { schema: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', required: false },
        { schema: ZULIP, required: false },
      ]);
      const groupType = await h.request('GET', '/ResourceTypes/Group', { org: a });
      assert.deepEqual(groupType.body.schemaExtensions, [{ schema: GROUP_EXT, required: false }]);
      const schemas = await h.request('GET', '/Schemas', { org: a });
      const zulip = schemas.body.Resources.find((s: { id: string }) => s.id === ZULIP);
      assert.ok(zulip, 'listed in /Schemas');
      assert.equal(zulip.attributes.find((x: { name: string }) => x.name === 'role').canonicalValues.length, 5);
      assert.equal((await h.request('GET', `/Schemas/${ZULIP}`, { org: a })).status, 200);

      const other = await h.request('GET', '/Schemas', { org: b });
      assert.ok(!other.body.Resources.some((s: { id: string }) => s.id === ZULIP || s.id === GROUP_EXT));
      assert.equal((await h.request('GET', `/Schemas/${ZULIP}`, { org: b })).status, 404);
      assert.deepEqual((await h.request('GET', '/ResourceTypes/User', { org: b })).body.schemaExtensions, [
        { schema: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', required: false },
      ]);
      // B does not accept A's attributes: they are unknown to it and dropped.
      const created = await h.request('POST', '/Users', {
        org: b,
        body: { schemas: [USER_SCHEMA, ZULIP], userName: 'b-user', [ZULIP]: { pronouns: 'she/her' } },
      });
      assert.equal(created.status, 201);
      assert.equal(created.body[ZULIP], undefined);
      assert.deepEqual(created.body.schemas, [USER_SCHEMA]);
    });

    test('values of every type are validated, coerced, stored and returned by `returned`', async () => {
      const res = await h.request('POST', '/Users', {
        org: a,
        body: {
          schemas: [USER_SCHEMA, ZULIP],
          userName: 'iago',
          [ZULIP]: {
            Pronouns: 'he/him',
            githubUsername: 'Iago-GH',
            role: 'administrator',
            level: '7',
            score: 2.5,
            bot: 'False',
            joined: '2026-03-01T10:00:00Z',
            homepage: 'https://iago.example.com',
            avatar: 'aGVsbG8=',
            teams: 'backend',
            team: { name: 'Core', lead: true },
            secret: 's3cret',
            badge: 'gold',
          },
        },
      });
      assert.equal(res.status, 201, res.text);
      assert.deepEqual(res.body.schemas, [USER_SCHEMA, ZULIP]);
      const ext = res.body[ZULIP];
      assert.equal(ext.pronouns, 'he/him', 'names are matched case-insensitively and returned canonical');
      assert.equal(ext.level, 7, 'an integer sent as text is coerced');
      assert.equal(ext.bot, false);
      assert.deepEqual(ext.teams, ['backend'], 'a single value of a multi-valued attribute becomes a list');
      assert.deepEqual(ext.team, { name: 'Core', lead: true });
      assert.equal(ext.secret, undefined, 'returned=never is never returned');
      assert.equal(ext.badge, undefined, 'returned=request only when asked');
      const id = res.body.id;
      const got = await h.request('GET', `/Users/${id}`, { org: a });
      assert.deepEqual(got.body[ZULIP], ext);
      assert.deepEqual(got.body.schemas, [USER_SCHEMA, ZULIP]);
      const asked = await h.request('GET', `/Users/${id}?attributes=${ZULIP}:badge,userName`, { org: a });
      assert.deepEqual(asked.body[ZULIP], { badge: 'gold' });
      // Stored, but never returned.
      const row = await h.store.users.get((await h.directory.organizations.get('ext-a')).id, id);
      assert.equal((JSON.parse(row!.doc) as Record<string, Record<string, unknown>>)[ZULIP]!.secret, 's3cret');

      for (const [value, pattern] of [
        [{ level: 'seven' }, /must be an integer/],
        [{ score: 'high' }, /must be a number/],
        [{ bot: 'maybe' }, /must be a boolean/],
        [{ joined: 'yesterday' }, /dateTime/],
        [{ avatar: '***' }, /base64/],
        [{ team: 'Core' }, /complex value/],
      ] as const) {
        const refused = await h.request('POST', '/Users', {
          org: a,
          body: { schemas: [USER_SCHEMA, ZULIP], userName: `bad-${Object.keys(value)[0]}`, [ZULIP]: value },
        });
        assert.equal(refused.status, 400, JSON.stringify(value));
        assert.equal(refused.body.scimType, 'invalidValue');
        assert.deepEqual(refused.body.schemas, [ERROR_SCHEMA]);
        assert.match(refused.body.detail, pattern);
        assert.match(refused.body.detail, new RegExp(`${ZULIP}:`), 'the detail names the attribute with its URN');
      }
    });

    test('filters and sorts on extension attributes run in the database and match the in-memory oracle', async () => {
      const people = [
        { userName: 'f1', pronouns: 'she/her', level: 9, score: -1.5, bot: false, joined: '2025-01-01T00:00:00Z', teams: ['core', 'web'] },
        { userName: 'f2', pronouns: 'He/Him', level: 10, score: 0, bot: true, joined: '2026-06-01T00:00:00.000+02:00', teams: ['mobile'] },
        { userName: 'f3', pronouns: 'they/them', level: -3, score: 100.25, bot: false, teams: [] },
        { userName: 'f4', level: 100, score: 2 },
        { userName: 'f5', pronouns: 'she/her', joined: '2024-12-31T23:59:59Z' },
      ];
      const created: Record<string, unknown>[] = [];
      for (const p of people) {
        const { userName, ...ext } = p;
        const res = await h.request('POST', '/Users', { org: a, body: { schemas: [USER_SCHEMA, ZULIP], userName, [ZULIP]: ext } });
        assert.equal(res.status, 201, res.text);
        created.push(res.body);
      }
      const rt = (await h.directory.organizations.get('ext-a')).schema.user;
      const filters = [
        `${ZULIP}:pronouns eq "she/her"`,
        `${ZULIP}:pronouns eq "HE/HIM"`,
        `${ZULIP}:pronouns sw "the"`,
        `${ZULIP}:level gt 9`,
        `${ZULIP}:level ge -3 and ${ZULIP}:level lt 100`,
        `${ZULIP}:score lt 0`,
        `${ZULIP}:score gt 2`,
        `${ZULIP}:bot eq true`,
        `${ZULIP}:joined gt "2025-06-01T00:00:00Z"`,
        `${ZULIP}:joined lt "2025-01-01T00:00:00Z"`,
        `${ZULIP}:teams eq "web"`,
        `${ZULIP}:pronouns pr`,
        `not (${ZULIP}:level pr)`,
        `pronouns eq "they/them"`,
      ];
      const ours = new Set(created.map((u) => u.id));
      for (const filter of filters) {
        const res = await h.request('GET', `/Users?filter=${encodeURIComponent(filter)}&count=1000`, { org: a });
        assert.equal(res.status, 200, `${filter}: ${res.text}`);
        const got = (res.body.Resources ?? [])
          .filter((u: { id: string }) => ours.has(u.id))
          .map((u: { userName: string }) => u.userName)
          .sort();
        const resolved = resolveFilter(rt, parseFilter(filter));
        const expected = created
          .filter((u) => matchesFilter(u, resolved))
          .map((u) => u.userName as string)
          .sort();
        assert.deepEqual(got, expected, filter);
      }
      // Numbers sort as numbers (10 after 9), absent values last.
      const sorted = await h.request('GET', `/Users?filter=${encodeURIComponent('userName sw "f"')}&sortBy=${ZULIP}:level`, { org: a });
      assert.deepEqual(sorted.body.Resources.map((u: { userName: string }) => u.userName).slice(0, 4), ['f3', 'f1', 'f2', 'f4']);
      const desc = await h.request('GET', `/Users?filter=${encodeURIComponent('userName sw "f"')}&sortBy=${ZULIP}:score&sortOrder=descending`, { org: a });
      assert.deepEqual(desc.body.Resources.map((u: { userName: string }) => u.userName).slice(0, 4), ['f3', 'f4', 'f2', 'f1']);
      const refused = await h.request('GET', `/Users?filter=${encodeURIComponent(`${ZULIP}:level co "1"`)}`, { org: a });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.scimType, 'invalidFilter');
    });

    test('an extension lookup reads the value index, not every user', async () => {
      const s = h.store as unknown as SqlStore;
      const org = await h.directory.organizations.get('ext-a');
      // Enough users, by the store's bulk path, for the planner to prefer an index over a scan.
      const t = new Date().toISOString();
      await s.users.insertMany(
        Array.from({ length: 3000 }, (_, i) => ({
          org_id: org.id,
          id: `bulk-${i}`,
          doc: { userName: `bulk${i}`, active: true, [ZULIP]: { githubUsername: `gh-${i}`, level: i } },
          version: 1,
          created: t,
          last_modified: t,
          type: org.schema.user,
        })),
      );
      await s.optimize();
      const resolved = resolveFilter(org.schema.user, parseFilter(`${ZULIP}:githubUsername eq "iago-gh"`));
      const q = userListQuery(org.id, { filter: resolved, offset: 0, limit: 100 }, s.dialectAdapter);
      const { sql: text, parameters } = q.page.render(s.dialectAdapter.placeholders);
      const plan = await s.kysely.executeQuery<Record<string, unknown>>(
        CompiledQuery.raw((engine === 'sqlite' ? 'explain query plan ' : 'explain ') + text, parameters),
      );
      const lines = plan.rows.map((r) => String(r.detail ?? r['QUERY PLAN'])).join('\n');
      assert.match(lines, /user_values_lookup/, lines);
      assert.doesNotMatch(lines, engine === 'sqlite' ? /SCAN x\b(?! USING)/ : /Seq Scan on user_values/, lines);
      const page = await s.users.list(org.id, { filter: resolved, offset: 0, limit: 100 });
      assert.equal(page.total, 1);
    });

    test('PATCH by URN path, by a path-less value keyed by the URN, and by a URN-qualified key; events carry the values', async () => {
      const created = await h.request('POST', '/Users', {
        org: a,
        body: { schemas: [USER_SCHEMA, ZULIP], userName: 'patchme', [ZULIP]: { pronouns: 'she/her', level: 1 } },
      });
      const id = created.body.id;
      const op = (Operations: unknown[]) => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations });
      let res = await h.request('PATCH', `/Users/${id}`, { org: a, body: op([{ op: 'replace', path: `${ZULIP}:pronouns`, value: 'they/them' }]) });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body[ZULIP].pronouns, 'they/them');
      res = await h.request('PATCH', `/Users/${id}`, { org: a, body: op([{ op: 'Replace', value: { [ZULIP]: { level: '5', role: 'moderator' } } }]) });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body[ZULIP], { pronouns: 'they/them', role: 'moderator', level: 5 });
      res = await h.request('PATCH', `/Users/${id}`, {
        org: a,
        body: op([
          { op: 'add', value: { [`${ZULIP}:githubUsername`]: 'pm' } },
          { op: 'add', path: `${ZULIP}:teams`, value: ['a', 'b'] },
        ]),
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body[ZULIP].githubUsername, 'pm');
      assert.deepEqual(res.body[ZULIP].teams, ['a', 'b']);
      res = await h.request('PATCH', `/Users/${id}`, {
        org: a,
        body: op([
          { op: 'replace', path: `${ZULIP}:teams`, value: ['b'] },
          { op: 'remove', path: `${ZULIP}:role` },
        ]),
      });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body[ZULIP].teams, ['b']);
      assert.equal(res.body[ZULIP].role, undefined);
      const bad = await h.request('PATCH', `/Users/${id}`, { org: a, body: op([{ op: 'replace', path: `${ZULIP}:level`, value: 'high' }]) });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.scimType, 'invalidValue');
      // Filterable after PATCH: the index was rewritten.
      const found = await h.request('GET', `/Users?filter=${encodeURIComponent(`${ZULIP}:githubUsername eq "PM"`)}`, { org: a });
      assert.deepEqual(
        found.body.Resources.map((u: { id: string }) => u.id),
        [id],
      );

      const mine = (await h.directory.events.ofResource(await h.directory.organizations.get('ext-a'), id, 100)).sort((x, y) => x.seq - y.seq);
      const createdEvent = mine.find((e) => e.type === 'user.created')!;
      assert.deepEqual((createdEvent.data.user as Record<string, unknown>)[ZULIP], { pronouns: 'she/her', level: 1 });
      const first = mine.find((e) => e.type === 'user.updated')!;
      assert.deepEqual(first.data.changed, [`${ZULIP}:pronouns`]);
      assert.deepEqual(first.data.after, { [`${ZULIP}:pronouns`]: 'they/them' });
    });

    test('a required extension must be sent, with its required attributes', async () => {
      const urn = 'urn:acme:params:scim:schemas:extension:acme:2.0:User';
      const legacy = await h.request('POST', '/Users', { org: b, body: { schemas: [USER_SCHEMA], userName: 'legacy-user' } });
      assert.equal(legacy.status, 201);
      await h.directory.schemas.add(
        'ext-b',
        {
          id: urn,
          name: 'Acme',
          attributes: [
            { name: 'badge', required: true },
            { name: 'floor', type: 'integer' },
          ],
        },
        { required: true },
      );
      // A user from before the extension was required can still be deactivated by PATCH, not replaced without it.
      const deactivated = await h.request('PATCH', `/Users/${legacy.body.id}`, {
        org: b,
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] },
      });
      assert.equal(deactivated.status, 200, deactivated.text);
      assert.equal(deactivated.body.active, false);
      assert.equal((await h.request('PUT', `/Users/${legacy.body.id}`, { org: b, body: { schemas: [USER_SCHEMA], userName: 'legacy-user' } })).status, 400);
      const missing = await h.request('POST', '/Users', { org: b, body: { schemas: [USER_SCHEMA], userName: 'no-ext' } });
      assert.equal(missing.status, 400);
      assert.match(missing.body.detail, /is required/);
      const partial = await h.request('POST', '/Users', { org: b, body: { schemas: [USER_SCHEMA, urn], userName: 'partial', [urn]: { floor: 3 } } });
      assert.equal(partial.status, 400);
      assert.match(partial.body.detail, new RegExp(`${urn}:badge" is required`));
      const ok = await h.request('POST', '/Users', { org: b, body: { schemas: [USER_SCHEMA, urn], userName: 'complete', [urn]: { badge: 'B-1', floor: 3 } } });
      assert.equal(ok.status, 201, ok.text);
      const types = await h.request('GET', '/ResourceTypes/User', { org: b });
      assert.deepEqual(types.body.schemaExtensions.at(-1), { schema: urn, required: true });
      await h.directory.schemas.remove('ext-b', urn);
    });

    test('uniqueness: server is enforced within the organization, case-insensitively, and names the holder', async () => {
      const urn = 'urn:acme:params:scim:schemas:extension:unique:2.0:User';
      await h.directory.schemas.add('ext-b', { id: urn, name: 'Unique', attributes: [{ name: 'badge', uniqueness: 'server' }, { name: 'note' }] });
      const first = await h.request('POST', '/Users', {
        org: b,
        body: { schemas: [USER_SCHEMA, urn], userName: 'u-first', [urn]: { badge: 'B-7', note: 'same' } },
      });
      assert.equal(first.status, 201, first.text);
      const clash = await h.request('POST', '/Users', { org: b, body: { schemas: [USER_SCHEMA, urn], userName: 'u-second', [urn]: { badge: 'b-7' } } });
      assert.equal(clash.status, 409);
      assert.equal(clash.body.scimType, 'uniqueness');
      assert.match(clash.body.detail, new RegExp(`${urn}:badge" must be unique.*${first.body.id}`));
      assert.equal(
        (await h.request('GET', `/Users?filter=${encodeURIComponent('userName eq "u-second"')}`, { org: b })).body.totalResults,
        0,
        'nothing was written',
      );
      const second = await h.request('POST', '/Users', {
        org: b,
        body: { schemas: [USER_SCHEMA, urn], userName: 'u-second', [urn]: { badge: 'B-8', note: 'same' } },
      });
      assert.equal(second.status, 201, 'a non-unique attribute may repeat');
      const op = (value: unknown) => ({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: `${urn}:badge`, value }],
      });
      assert.equal((await h.request('PATCH', `/Users/${second.body.id}`, { org: b, body: op('B-7') })).status, 409);
      assert.equal((await h.request('PATCH', `/Users/${first.body.id}`, { org: b, body: op('b-7') })).status, 200, 'a user keeps its own value');
      // Another organization's users do not count.
      await h.directory.schemas.add('ext-a', { id: urn, name: 'Unique', attributes: [{ name: 'badge', uniqueness: 'server' }] });
      assert.equal(
        (await h.request('POST', '/Users', { org: a, body: { schemas: [USER_SCHEMA, urn], userName: 'u-other-org', [urn]: { badge: 'B-7' } } })).status,
        201,
      );
      await h.directory.schemas.remove('ext-b', urn);
      await h.directory.schemas.remove('ext-a', urn);
    });

    test('removing never overwrites a write made meanwhile, and concurrent declarations are never lost', async () => {
      const urn = 'urn:acme:params:scim:schemas:extension:race:2.0:User';
      await h.directory.schemas.add('ext-b', { id: urn, name: 'Race', attributes: [{ name: 'code' }] });
      const r = await h.request('POST', '/Users', { org: b, body: { schemas: [USER_SCHEMA, urn], userName: 'race-1', title: 'Before', [urn]: { code: 'R' } } });
      const org = await h.directory.organizations.get('ext-b');
      // The walk read the document, then a PATCH wrote it: the stale rewrite must change nothing.
      const [read] = await h.store.organizations.scanDocs('users', org.id, `"${urn}":`, 0, 10);
      assert.equal(read!.id, r.body.id);
      await h.request('PATCH', `/Users/${r.body.id}`, {
        org: b,
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: 'After' }] },
      });
      const stale = { ...read!, doc: JSON.stringify({ userName: 'race-1', title: 'Before', active: true }) };
      assert.equal(await h.store.transaction((tx) => tx.organizations.rewriteDocs('users', org.id, [stale], [`${urn}:code`])), 0);
      assert.equal((await h.request('GET', `/Users/${r.body.id}`, { org: b })).body.title, 'After');
      await h.directory.schemas.remove('ext-b', urn);

      const urns = Array.from({ length: 4 }, (_, i) => `urn:acme:params:scim:schemas:extension:concurrent${i}:2.0:User`);
      const outcomes = await Promise.allSettled(urns.map((id) => h.directory.schemas.add('ext-b', { id, name: 'C', attributes: [{ name: 'x' }] })));
      const listed = (await h.directory.schemas.list('ext-b')).map((e) => e.schema.id);
      // Each one either wins against the others (re-run on what they wrote) or says so; none is silently lost.
      outcomes.forEach((o, i) => {
        if (o.status === 'fulfilled') assert.ok(listed.includes(urns[i]!), `${urns[i]} was declared and must be kept`);
        else assert.equal((o.reason as DirectoryError).code, 'ROLLCALL_SCHEMA_CHANGED', String(o.reason));
      });
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'],
      );
      for (const id of listed.filter((u) => urns.includes(u))) await h.directory.schemas.remove('ext-b', id);
      // The compare-and-set itself: a write based on a stale read changes nothing.
      const before = (await h.directory.schemas.list('ext-b')).map((e) => e.schema.id);
      assert.equal(
        await h.store.transaction((tx) => tx.organizations.replaceExtensions(org.id, '{"extensions":["read long ago"]}', '{"extensions":[]}')),
        false,
      );
      assert.deepEqual(
        (await h.directory.schemas.list('ext-b')).map((e) => e.schema.id),
        before,
      );
    });

    test('groups carry their extension: create, read, PATCH, list', async () => {
      const res = await h.request('POST', '/Groups', {
        org: a,
        body: {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group', GROUP_EXT],
          displayName: 'Zulip Admins',
          [GROUP_EXT]: { stream: '#admins', weight: '3' },
        },
      });
      assert.equal(res.status, 201, res.text);
      assert.deepEqual(res.body.schemas, ['urn:ietf:params:scim:schemas:core:2.0:Group', GROUP_EXT]);
      assert.deepEqual(res.body[GROUP_EXT], { stream: '#admins', weight: 3 });
      const patched = await h.request('PATCH', `/Groups/${res.body.id}?attributes=${GROUP_EXT}`, {
        org: a,
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: `${GROUP_EXT}:weight`, value: 4 }] },
      });
      assert.equal(patched.status, 200, patched.text);
      assert.deepEqual(patched.body[GROUP_EXT], { stream: '#admins', weight: 4 });
      const got = await h.request('GET', `/Groups/${res.body.id}`, { org: a });
      assert.deepEqual(got.body[GROUP_EXT], { stream: '#admins', weight: 4 });
      // Filterable and sortable through group_values, like a user's.
      for (const [name, weight] of [
        ['Zulip Moderators', 10],
        ['Zulip Guests', -1],
      ] as const) {
        const r = await h.request('POST', '/Groups', {
          org: a,
          body: {
            schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group', GROUP_EXT],
            displayName: name,
            [GROUP_EXT]: { stream: `#${name.split(' ')[1]!.toLowerCase()}`, weight },
          },
        });
        assert.equal(r.status, 201, r.text);
      }
      const names = async (query: string) => {
        const r = await h.request('GET', `/Groups?${query}&excludedAttributes=members`, { org: a });
        assert.equal(r.status, 200, `${query}: ${r.text}`);
        return r.body.Resources.map((g: { displayName: string }) => g.displayName);
      };
      assert.deepEqual(await names(`filter=${encodeURIComponent(`${GROUP_EXT}:stream eq "#ADMINS"`)}`), ['Zulip Admins']);
      assert.deepEqual(await names(`filter=${encodeURIComponent(`${GROUP_EXT}:weight gt 3`)}`), ['Zulip Admins', 'Zulip Moderators']);
      assert.deepEqual(await names(`filter=${encodeURIComponent(`${GROUP_EXT}:weight pr`)}&sortBy=${GROUP_EXT}:weight&sortOrder=descending`), [
        'Zulip Moderators',
        'Zulip Admins',
        'Zulip Guests',
      ]);
      // PATCH rewrote the index: the old value finds nothing.
      assert.deepEqual(await names(`filter=${encodeURIComponent(`${GROUP_EXT}:weight eq 3`)}`), []);
    });

    test('removing an extension: its values stop being accepted and returned, and are deleted from storage', async () => {
      const urn = 'urn:acme:params:scim:schemas:extension:gone:2.0:User';
      await h.directory.schemas.add('ext-b', { id: urn, name: 'Gone', attributes: [{ name: 'code' }, { name: 'n', type: 'integer' }] });
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const r = await h.request('POST', '/Users', {
          org: b,
          body: { schemas: [USER_SCHEMA, urn], userName: `gone-${i}`, title: 'Kept', [urn]: { code: `C${i}`, n: i } },
        });
        assert.equal(r.status, 201, r.text);
        ids.push(r.body.id);
      }
      const orgId = (await h.directory.organizations.get('ext-b')).id;
      const removed = await h.directory.schemas.remove('ext-b', urn);
      assert.equal(removed.documents, 7);
      const got = await h.request('GET', `/Users/${ids[3]}`, { org: b });
      assert.equal(got.body[urn], undefined);
      assert.deepEqual(got.body.schemas, [USER_SCHEMA]);
      assert.equal(got.body.title, 'Kept', 'the rest of the user is untouched');
      const filter = await h.request('GET', `/Users?filter=${encodeURIComponent(`${urn}:code eq "C3"`)}`, { org: b });
      assert.equal(filter.status, 400, 'an attribute of a removed extension is unknown to filters');
      const row = await h.store.users.get(orgId, ids[3]!);
      assert.ok(!row!.doc.includes(urn), 'the stored document no longer holds the values');
      const values = await (h.store as unknown as SqlStore).kysely
        .selectFrom('user_values')
        .select('attr')
        .where('org_id', '=', orgId)
        .where('attr', 'like', `${urn}%`)
        .execute();
      assert.deepEqual(values, [], 'nor does the value index');
      // Sent again, the values are unknown and dropped.
      const again = await h.request('PUT', `/Users/${ids[3]}`, { org: b, body: { schemas: [USER_SCHEMA, urn], userName: 'gone-3', [urn]: { code: 'X' } } });
      assert.equal(again.status, 200);
      assert.equal(again.body[urn], undefined);
      await assert.rejects(h.directory.schemas.remove('ext-b', urn), /has no extension/);
    });

    test('an interrupted removal hides the values at once and finishes when run again', async () => {
      const urn = 'urn:acme:params:scim:schemas:extension:half:2.0:User';
      await h.directory.schemas.add('ext-b', { id: urn, name: 'Half', attributes: [{ name: 'code' }] });
      const r = await h.request('POST', '/Users', { org: b, body: { schemas: [USER_SCHEMA, urn], userName: 'half-1', [urn]: { code: 'H' } } });
      const untouched = await h.request('POST', '/Users', { org: b, body: { schemas: [USER_SCHEMA, urn], userName: 'half-2', [urn]: { code: 'I' } } });
      // Removal's first half alone: the state an interrupted removal leaves (declared no more, still being removed).
      await h.directory.schemas.hide('ext-b', urn);
      const org = await h.directory.organizations.get('ext-b');
      assert.deepEqual(org.schema.removing, [urn]);
      const hidden = await h.request('GET', `/Users/${r.body.id}`, { org: b });
      assert.equal(hidden.body[urn], undefined, 'hidden while being removed');
      const listed = await h.request('GET', `/Users?filter=${encodeURIComponent('userName eq "half-1"')}`, { org: b });
      assert.equal(listed.body.Resources[0][urn], undefined);
      // A PATCH meanwhile changes what it says, and the hidden values neither count as changed nor come back.
      const patched = await h.request('PATCH', `/Users/${r.body.id}`, {
        org: b,
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: 'Hidden' }] },
      });
      assert.equal(patched.status, 200, patched.text);
      assert.equal(patched.body[urn], undefined);
      const updates = (await h.directory.events.ofResource(org, r.body.id, 10)).filter((e) => e.type === 'user.updated');
      assert.deepEqual(
        updates.map((e) => e.data.changed),
        [['title']],
      );
      await assert.rejects(h.directory.schemas.add('ext-b', { id: urn, name: 'Half', attributes: [{ name: 'code' }] }), /still being removed/);
      const done = await h.directory.schemas.remove('ext-b', urn);
      assert.equal(done.documents, 1, 'half-2 still held its values; the PATCH had already written half-1 without them');
      assert.ok(!(await h.store.users.get(org.id, untouched.body.id))!.doc.includes(urn));
      assert.deepEqual((await h.directory.organizations.get('ext-b')).schema.removing, []);
    });
  });
}

for (const engine of ENGINES) {
  describe(`the application API manages an organization's extensions on ${engine}`, () => {
    let h: Harness;
    let app: string;
    let scim: Org;
    before(async () => {
      h = await Harness.start(engine);
      scim = await h.org('api-ext');
      app = (await h.directory.organizations.issueToken('api-ext', 'app', 'app')).token;
    });
    after(() => h.close());

    test('POST, GET, GET by URN and DELETE /api/v1/schemas, with SCIM errors', async () => {
      const api = (method: string, path: string, body?: unknown, token = app) =>
        h.request(method, `/api/v1${path}`, { token, ...(body !== undefined ? { body, headers: { 'content-type': 'application/json' } } : {}) });
      assert.deepEqual((await api('GET', '/schemas')).body, { extensions: [], removing: [] });
      const created = await api('POST', '/schemas', { schema: zulipExtension() });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.id, ZULIP);
      assert.equal(created.body.resource, 'User');
      const again = await api('POST', '/schemas', { schema: zulipExtension() });
      assert.equal(again.status, 200, 'declaring the same URN again is an update');
      const bad = await api('POST', '/schemas', { schema: { id: 'urn:x:y', name: 'X', attributes: [{ name: 'a', type: 'nope' }] } });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body.schemas, [ERROR_SCHEMA]);
      assert.match(bad.body.detail, /unknown type "nope"/);
      assert.equal((await api('POST', '/schemas', {})).status, 400);
      assert.equal((await api('POST', '/schemas', { schema: zulipExtension(), resource: 'Thing' })).status, 400);
      assert.equal((await api('GET', `/schemas/${encodeURIComponent(ZULIP)}`)).body.name, 'ZulipUser');
      assert.equal((await api('GET', '/schemas/urn:none:here')).status, 404);
      // A SCIM token is not the application's: it cannot change the schema.
      assert.equal((await api('POST', '/schemas', { schema: zulipExtension() }, scim.token)).status, 403);

      const user = await h.request('POST', '/Users', {
        org: scim,
        body: { schemas: [USER_SCHEMA, ZULIP], userName: 'api-user', [ZULIP]: { pronouns: 'she/her' } },
      });
      assert.equal(user.body[ZULIP].pronouns, 'she/her');
      const removed = await api('DELETE', `/schemas/${encodeURIComponent(ZULIP)}`);
      assert.equal(removed.status, 202);
      assert.equal((await h.request('GET', `/Users/${user.body.id}`, { org: scim })).body[ZULIP], undefined, 'hidden as soon as DELETE answers');
      const orgId = (await h.directory.organizations.get('api-ext')).id;
      for (let i = 0; i < 100 && (await h.directory.organizations.get('api-ext')).schema.removing.length > 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual((await api('GET', '/schemas')).body, { extensions: [], removing: [] });
      assert.ok(!(await h.store.users.get(orgId, user.body.id))!.doc.includes(ZULIP), 'the values were deleted in the background');
    });
  });
}
