import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENGINES } from '../support/engines.js';
import { ENT, filterUsers } from '../fixtures/filter-users.js';
import { Harness, userBody, type Org } from '../support/harness.js';

const q = (filter: string) => `/Users?filter=${encodeURIComponent(filter)}&count=1000`;

for (const engine of ENGINES) {
  describe(`filters, sorting and paging in the database on ${engine}`, () => {
    let h: Harness;
    let org: Org;
    const ids = new Map<string, string>();
    before(async () => {
      h = await Harness.start(engine);
      org = await h.org('acme', { requireEmailUserName: false });
      for (const u of filterUsers) {
        const res = await h.request('POST', '/Users', { org, body: u });
        assert.equal(res.status, 201, res.text);
        ids.set(u.userName as string, res.body.id);
      }
      // Another organization with look-alike data must never leak in.
      const other = await h.org('other');
      await h.request('POST', '/Users', {
        org: other,
        body: userBody('bjensen@example.org', { externalId: 'jyoung', emails: [{ value: 'bjensen@example.com', type: 'work' }] }),
      });
    });
    after(() => h.close());

    const names = async (filter: string): Promise<string[]> => {
      const res = await h.request('GET', q(filter), { org });
      assert.equal(res.status, 200, `${filter}: ${res.text}`);
      assert.equal(res.body.totalResults, res.body.Resources.length);
      return res.body.Resources.map((u: any) => u.userName).sort();
    };

    const cases: [string, string[]][] = [
      ['userName eq "bjensen@example.com"', ['bjensen@example.com']],
      ['userName eq "BJENSEN@EXAMPLE.COM"', ['bjensen@example.com']],
      ['USERNAME EQ "jsmith@example.com"', ['JSmith@Example.com']],
      ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen@example.com"', ['bjensen@example.com']],
      ['externalId eq "jyoung"', ['bjensen@example.com']],
      ['externalId eq "JYOUNG"', []],
      ['externalId eq jyoung', ['bjensen@example.com']],
      ['userName sw "J"', ['JSmith@Example.com']],
      ['userName ew "@EXAMPLE.ORG"', ['omalley@example.org']],
      ['userName co "ZOË"', ['zoë@example.com']],
      ['displayName eq "zoë ärger"', ['zoë@example.com']],
      ['name.familyName eq "ärger"', ['zoë@example.com']],
      ['name.familyName co "\'"', ['omalley@example.org']],
      ['name.formatted co "barbara j"', ['bjensen@example.com']],
      ['title pr', ['bjensen@example.com', 'omalley@example.org', 'percent%under_score\\back@example.com']],
      ['not (title pr)', ['JSmith@Example.com', 'employee1@example.com', 'nobody@example.net', 'zoë@example.com']],
      ['title eq null', ['JSmith@Example.com', 'employee1@example.com', 'nobody@example.net', 'zoë@example.com']],
      [
        'title ne "Engineer"',
        [
          'JSmith@Example.com',
          'bjensen@example.com',
          'employee1@example.com',
          'nobody@example.net',
          'percent%under_score\\back@example.com',
          'zoë@example.com',
        ],
      ],
      ['title pr and userType eq "Employee"', ['bjensen@example.com', 'omalley@example.org']],
      ['title pr or userType eq "Intern"', ['JSmith@Example.com', 'bjensen@example.com', 'omalley@example.org', 'percent%under_score\\back@example.com']],
      ['userType eq "Employee" or userType eq "Intern" and active eq true', ['bjensen@example.com', 'employee1@example.com', 'omalley@example.org']],
      ['(userType eq "Employee" or userType eq "Intern") and active eq false', ['JSmith@Example.com']],
      ['active eq false', ['JSmith@Example.com']],
      ['active eq "False"', ['JSmith@Example.com']],
      ['emails eq "bjensen@example.com"', ['bjensen@example.com']],
      ['emails.value eq "ryan.omalley@example.com"', ['omalley@example.org']],
      ['emails co "example.com"', ['bjensen@example.com', 'employee1@example.com', 'omalley@example.org', 'zoë@example.com']],
      ['emails[type eq "work"].value eq "bjensen@example.com"', ['bjensen@example.com']],
      ['emails[type eq "work" and value eq "babs@jensen.org"]', []],
      ['emails[type eq "home" and value co "@jensen"]', ['bjensen@example.com']],
      [
        'emails[type eq "work" and value co "@example.com"] or phoneNumbers[type eq "work"]',
        ['bjensen@example.com', 'employee1@example.com', 'zoë@example.com'],
      ],
      ['emails[not (type eq "work")]', ['bjensen@example.com', 'omalley@example.org']],
      ['emails[primary eq true]', ['bjensen@example.com', 'omalley@example.org']],
      ['emails.type eq "work" and not (emails.type eq "home")', ['JSmith@Example.com', 'employee1@example.com', 'zoë@example.com']],
      ['emails pr', ['JSmith@Example.com', 'bjensen@example.com', 'employee1@example.com', 'omalley@example.org', 'zoë@example.com']],
      ['name pr and not (name.givenName pr)', ['percent%under_score\\back@example.com']],
      [`${ENT}:department eq "engineering"`, ['JSmith@Example.com']],
      ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "mgr-1"', ['omalley@example.org']],
      ['manager.value eq "MGR-1"', ['bjensen@example.com']],
      ['employeeNumber pr', ['bjensen@example.com']],
      ['userName co "%"', ['percent%under_score\\back@example.com']],
      ['userName co "_"', ['percent%under_score\\back@example.com']],
      ['userName co "\\\\"', ['percent%under_score\\back@example.com']],
      ['externalId sw "100%_\\\\"', ['percent%under_score\\back@example.com']],
      ['title ew "_"', ['percent%under_score\\back@example.com']],
      ['name.familyName co "d%c"', ['percent%under_score\\back@example.com']],
      ['userName sw "%"', []],
      ['meta.resourceType eq "User"', filterUsers.map((u) => u.userName as string).sort()],
      ['meta.created gt "2000-01-01T00:00:00Z"', filterUsers.map((u) => u.userName as string).sort()],
      ['meta.lastModified lt "2000-01-01T00:00:00+02:00"', []],
      ['name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)', ['employee1@example.com']],
      ['userName gt "o" and userName lt "p"', ['omalley@example.org']],
      ['userName ge "zoë@example.com"', ['zoë@example.com']],
    ];
    for (const [filter, expected] of cases) {
      test(`filter ${filter}`, async () => {
        assert.deepEqual(await names(filter), [...expected].sort());
      });
    }

    test('id filter is case-exact', async () => {
      const id = ids.get('bjensen@example.com')!;
      assert.deepEqual(await names(`id eq "${id}"`), ['bjensen@example.com']);
      assert.deepEqual(await names(`id eq "${id.toUpperCase()}"`), []);
    });

    test('Entra test-connection query with a random GUID: 200 and an empty ListResponse', async () => {
      const res = await h.request('GET', '/Users?filter=userName+eq+%22f1e0e4f5-3f1c-4e8b-9c73-6f0f2d1b2a55%22', { org });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
        totalResults: 0,
        itemsPerPage: 0,
        startIndex: 1,
        Resources: [],
      });
    });

    test('"+" in a query string is a space; unknown query parameters are ignored', async () => {
      const res = await h.request('GET', '/Users?filter=userName+eq+%22bjensen%40example.com%22&startIndex=1&count=100&foo=bar', { org });
      assert.equal(res.status, 200);
      assert.equal(res.body.totalResults, 1);
    });

    test('invalid filters are 400 invalidFilter naming the position, never a silent result', async () => {
      for (const [filter, detail] of [
        ['userName eq', /position/],
        ['nosuch eq "x"', /unknown attribute "nosuch" at position 0/],
        ['name.nosuch eq "x"', /nosuch/],
        ['active gt true', /active/],
        ['meta.created eq "yesterday"', /created|date/i],
        ['userName eq "x" and', /position/],
        ['emails[type eq "work"', /position/],
        ['(userName eq "x"', /position/],
        ['userName xx "x"', /position/],
        ['schemas eq "urn:x"', /schemas/],
        ['meta.location eq "x"', /location/],
      ] as const) {
        const res = await h.request('GET', q(filter), { org });
        assert.equal(res.status, 400, filter);
        assert.equal(res.body.scimType, 'invalidFilter', filter);
        assert.match(res.body.detail, detail, filter);
      }
    });

    test('sortBy with nulls last in both orders, ties broken stably', async () => {
      const asc = await h.request('GET', '/Users?sortBy=title&count=100', { org });
      const titles = asc.body.Resources.map((u: any) => u.title ?? null);
      assert.deepEqual(titles, ['50% off_', 'Engineer', 'Tour Guide', null, null, null, null]);
      const desc = await h.request('GET', '/Users?sortBy=title&sortOrder=descending&count=100', { org });
      assert.deepEqual(
        desc.body.Resources.map((u: any) => u.title ?? null),
        ['Tour Guide', 'Engineer', '50% off_', null, null, null, null],
      );
      // Ties (the nulls) keep creation order in both directions: stable pages.
      const nullIdsAsc = asc.body.Resources.filter((u: any) => !u.title).map((u: any) => u.id);
      const nullIdsDesc = desc.body.Resources.filter((u: any) => !u.title).map((u: any) => u.id);
      assert.deepEqual(nullIdsAsc, nullIdsDesc);
      const byUserName = await h.request('GET', '/Users?sortBy=userName&count=100', { org });
      const un = byUserName.body.Resources.map((u: any) => u.userName.toLowerCase());
      assert.deepEqual(un, [...un].sort(), 'case-insensitive order');
      const byFamily = await h.request('GET', '/Users?sortBy=name.familyName&sortOrder=DESCENDING&count=3', { org });
      assert.deepEqual(
        byFamily.body.Resources.map((u: any) => u.name.familyName),
        ['Ärger', 'Wild%Card_', 'Smith'],
      );
      const byDept = await h.request('GET', `/Users?sortBy=${ENT}:department&count=2`, { org });
      assert.deepEqual(
        byDept.body.Resources.map((u: any) => u[ENT].department),
        ['Engineering', 'Tour Operations'],
      );
      const byCreated = await h.request('GET', '/Users?sortBy=meta.created&sortOrder=descending&count=1', { org });
      assert.equal(byCreated.body.Resources[0].userName, 'employee1@example.com');
    });

    test('bad sort parameters are 400 invalidValue', async () => {
      for (const url of ['/Users?sortBy=emails', '/Users?sortBy=nosuch', '/Users?sortBy=name', '/Users?sortBy=userName&sortOrder=sideways']) {
        const res = await h.request('GET', url, { org });
        assert.equal(res.status, 400, url);
        assert.equal(res.body.scimType, 'invalidValue', url);
      }
    });

    test('paging edges: startIndex<1 is 1, count=0 gives only totalResults, past the end is empty, itemsPerPage counts the page', async () => {
      const all = (await h.request('GET', '/Users?count=100', { org })).body;
      assert.equal(all.totalResults, filterUsers.length);
      const page = (await h.request('GET', '/Users?startIndex=0&count=2', { org })).body;
      assert.equal(page.startIndex, 1);
      assert.equal(page.itemsPerPage, 2);
      assert.deepEqual(
        page.Resources.map((u: any) => u.id),
        all.Resources.slice(0, 2).map((u: any) => u.id),
      );
      const second = (await h.request('GET', '/Users?startIndex=3&count=2', { org })).body;
      assert.deepEqual(
        second.Resources.map((u: any) => u.id),
        all.Resources.slice(2, 4).map((u: any) => u.id),
      );
      const zero = (await h.request('GET', '/Users?count=0', { org })).body;
      assert.equal(zero.totalResults, filterUsers.length);
      assert.equal(zero.itemsPerPage, 0);
      assert.deepEqual(zero.Resources, []);
      const negative = (await h.request('GET', '/Users?count=-5', { org })).body;
      assert.deepEqual(negative.Resources, []);
      const past = (await h.request('GET', '/Users?startIndex=100&count=10', { org })).body;
      assert.equal(past.totalResults, filterUsers.length);
      assert.deepEqual(past.Resources, []);
      const lastPartial = (await h.request('GET', `/Users?startIndex=${filterUsers.length}&count=10`, { org })).body;
      assert.equal(lastPartial.itemsPerPage, 1);
      const filtered = (await h.request('GET', `/Users?filter=${encodeURIComponent('userType eq "Employee"')}&startIndex=2&count=1`, { org })).body;
      assert.equal(filtered.totalResults, 3);
      assert.equal(filtered.itemsPerPage, 1);
    });

    // Issue 11, defect 4: a page is what startIndex means at the time of the request. (This test
    // used to assert that a walk continued after the last user it saw; a remembered position that
    // outlives a delete repeats users, on one node and across several.)
    test('after a delete, startIndex counts the users as they are now: no user repeats, none is skipped', async () => {
      const walker = await h.org('walker');
      const ids: string[] = [];
      for (let i = 0; i < 9; i++) ids.push((await h.request('POST', '/Users', { org: walker, body: userBody(`walk${i}@example.com`) })).body.id);
      const page1 = (await h.request('GET', '/Users?startIndex=1&count=3', { org: walker })).body;
      assert.deepEqual(
        page1.Resources.map((u: any) => u.id),
        ids.slice(0, 3),
      );
      await h.request('DELETE', `/Users/${ids[1]}`, { org: walker });
      const now = ids.filter((_, i) => i !== 1);
      const page2 = (await h.request('GET', '/Users?startIndex=4&count=3', { org: walker })).body;
      assert.deepEqual(
        page2.Resources.map((u: any) => u.id),
        now.slice(3, 6),
      );
      assert.equal(page2.totalResults, 8);
      const page3 = (await h.request('GET', '/Users?startIndex=7&count=3', { org: walker })).body;
      assert.deepEqual(
        page3.Resources.map((u: any) => u.id),
        now.slice(6, 9),
      );
      const cold = (await h.request('GET', '/Users?startIndex=2&count=2', { org: walker })).body;
      assert.deepEqual(
        cold.Resources.map((u: any) => u.id),
        [now[1], now[2]],
      );
    });

    test('the exact reproducer: pages of 40, 10 of the first 40 deleted, startIndex=41 starts at the 41st user there is', async () => {
      const org = await h.org('pager');
      const ids: string[] = [];
      for (let i = 0; i < 120; i++) ids.push((await h.request('POST', '/Users', { org, body: userBody(`pg${i}@example.com`) })).body.id);
      for (const start of [1, 41, 81]) assert.equal((await h.request('GET', `/Users?startIndex=${start}&count=40`, { org })).body.Resources.length, 40);
      for (const id of ids.slice(0, 10)) assert.equal((await h.request('DELETE', `/Users/${id}`, { org })).status, 204);
      const left = ids.slice(10);
      const seen: string[] = [];
      for (const start of [1, 41, 81]) {
        const page = (await h.request('GET', `/Users?startIndex=${start}&count=40`, { org })).body;
        assert.equal(page.totalResults, 110);
        assert.deepEqual(
          page.Resources.map((u: any) => u.id),
          left.slice(start - 1, start - 1 + 40),
          `startIndex=${start}`,
        );
        seen.push(...page.Resources.map((u: any) => u.id));
      }
      assert.equal(new Set(seen).size, 110, 'no duplicates');
    });

    test('count is capped at the organization maxResults', async () => {
      const small = await h.org('small', { maxResults: 2 });
      for (let i = 0; i < 3; i++) await h.request('POST', '/Users', { org: small, body: userBody(`s${i}@example.com`) });
      const res = (await h.request('GET', '/Users?count=50', { org: small })).body;
      assert.equal(res.totalResults, 3);
      assert.equal(res.itemsPerPage, 2);
      const spc = (await h.request('GET', '/ServiceProviderConfig', { org: small })).body;
      assert.equal(spc.filter.maxResults, 2);
      assert.equal(spc.filter.supported, true);
      assert.equal(spc.sort.supported, true);
    });

    test('POST /Users/.search and POST /.search take a SearchRequest', async () => {
      const body = {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
        filter: 'userType eq "Employee"',
        sortBy: 'userName',
        sortOrder: 'descending',
        startIndex: 1,
        count: 2,
        attributes: ['userName', 'emails.value'],
      };
      for (const url of ['/Users/.search', '/.search']) {
        const res = await h.request('POST', url, { org, body });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.totalResults, 3);
        assert.deepEqual(
          res.body.Resources.map((u: any) => u.userName),
          ['omalley@example.org', 'employee1@example.com'],
        );
        assert.deepEqual(Object.keys(res.body.Resources[0]).sort(), ['emails', 'id', 'meta', 'schemas', 'userName']);
        assert.equal(res.body.Resources[0].name, undefined);
      }
      const noSchema = await h.request('POST', '/Users/.search', { org, body: { filter: 'userName pr' } });
      assert.equal(noSchema.status, 400);
      assert.equal(noSchema.body.scimType, 'invalidSyntax');
      const badFilter = await h.request('POST', '/Users/.search', { org, body: { ...body, filter: 'nosuch eq 1' } });
      assert.equal(badFilter.body.scimType, 'invalidFilter');
    });

    test('filters follow writes: a PUT changes what matches', async () => {
      const id = ids.get('nobody@example.net')!;
      assert.deepEqual(await names('emails.value eq "found@example.net"'), []);
      const put = await h.request('PUT', `/Users/${id}`, {
        org,
        body: userBody('nobody@example.net', { emails: [{ value: 'Found@Example.net', type: 'work' }] }),
      });
      assert.equal(put.status, 200);
      assert.deepEqual(await names('emails[type eq "work"].value eq "found@example.net"'), ['nobody@example.net']);
      await h.request('PUT', `/Users/${id}`, { org, body: userBody('nobody@example.net') });
      assert.deepEqual(await names('emails.value eq "found@example.net"'), []);
    });
  });
}
