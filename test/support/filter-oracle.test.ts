import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchesFilter } from './filter-oracle.js';
import { userResourceType } from '../../src/protocol/schema/index.js';
import { parseFilter } from '../../src/protocol/filter/parser.js';
import { resolveFilter } from '../../src/protocol/filter/resolve.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const bjensen: Record<string, unknown> = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
  id: '2819c223-7f76-453a-919d-413861904646',
  externalId: 'BJ-0042',
  userName: 'bjensen@example.com',
  name: { familyName: "O'Malley", givenName: 'Barbara' },
  title: '',
  userType: 'Employee',
  active: true,
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'babs@jensen.org', type: 'home' },
  ],
  meta: { resourceType: 'User', created: '2010-01-23T04:56:22Z', lastModified: '2011-05-13T04:42:34Z' },
  [ENTERPRISE]: { employeeNumber: '701984', manager: { value: '26118915', displayName: 'John Smith' } },
};

const empty: Record<string, unknown> = { id: 'e', userName: 'empty', emails: [], meta: { created: '2020-01-01T00:00:00Z' } };

/** [filter, matches bjensen, matches empty] */
const cases: [string, boolean, boolean][] = [
  ['userName eq "BJENSEN@example.com"', true, false],
  ['id eq "2819C223-7F76-453A-919D-413861904646"', false, false],
  ['externalId eq "BJ-0042"', true, false],
  ['externalId eq "bj-0042"', false, false],
  [`name.familyName co "o'mal"`, true, false],
  ['userName sw "B" and userName ew ".COM"', true, false],
  ['title pr', false, false],
  ['title eq null', true, true],
  ['title ne null', false, false],
  ['name pr', true, false],
  ['emails pr', true, false],
  ['emails eq null', false, true],
  ['nickName ne "x"', true, true],
  ['emails.type ne "work"', false, true],
  ['emails.type ne "other"', true, true],
  ['not (emails.type eq "work")', false, true],
  ['emails.type eq "home"', true, false],
  ['emails[type eq "work" and value co "@example.com"]', true, false],
  ['emails[type eq "home" and primary eq true]', false, false],
  ['emails.type eq "home" and emails.primary eq true', true, false],
  ['emails[type eq "work"].value eq "BJENSEN@example.com"', true, false],
  ['emails[type ne "work"]', true, false],
  ['meta.lastModified gt "2011-05-13T04:42:33Z"', true, false],
  ['meta.lastModified eq "2011-05-13T06:42:34+02:00"', true, false],
  ['meta.lastModified ge "2011-05-13T04:42:34Z" and meta.lastModified le "2011-05-13T04:42:34Z"', true, false],
  ['meta.created lt "2015-01-01"', true, false],
  ['meta.created gt "2015-01-01"', false, true],
  ['userName gt "A" and userName lt "C"', true, false],
  ['userName gt "a"', true, true],
  ['active eq true', true, false],
  ['active ne true', false, true],
  ['active eq false', false, false],
  ['manager eq "26118915"', true, false],
  ['manager[displayName eq "john smith"]', true, false],
  ['employeeNumber eq 701984', true, false],
  ['userType eq "Employee" and not (emails co "example.org" or emails.value co "example.net")', true, false],
  ['title pr or userType eq "employee"', true, false],
];

describe('matchesFilter (test oracle)', () => {
  for (const [source, onBjensen, onEmpty] of cases) {
    it(`evaluates ${source}`, () => {
      const filter = resolveFilter(userResourceType, parseFilter(source));
      assert.equal(matchesFilter(bjensen, filter), onBjensen, 'bjensen');
      assert.equal(matchesFilter(empty, filter), onEmpty, 'empty');
    });
  }
});
