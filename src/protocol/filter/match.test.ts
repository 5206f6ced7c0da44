import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchesFilter } from '../../../test/support/filter-oracle.js';
import { attr, complex, str } from '../schema/define.js';
import { ENTERPRISE_USER_SCHEMA as ENT, userResourceType, type ResourceTypeDef } from '../schema/index.js';
import { matchesElement } from './match.js';
import { parseFilter } from './parser.js';
import { resolveFilter, type ResolvedFilter } from './resolve.js';

/** A resource type with dateTime, integer and caseExact sub-attributes, which the User schema lacks. */
const logins: ResourceTypeDef = Object.freeze({
  id: 'Device',
  name: 'Device',
  endpoint: '/Devices',
  description: 'Test resource',
  schema: Object.freeze({
    id: 'urn:example:Device',
    name: 'Device',
    description: '',
    attributes: Object.freeze([
      complex(
        'logins',
        'Logins',
        [attr('at', 'dateTime'), attr('count', 'integer'), attr('ratio', 'decimal'), str('code', 'Code', { caseExact: true }), str('value', 'Value')],
        {
          multiValued: true,
        },
      ),
    ]),
  }),
  extensions: Object.freeze([]),
});

const work = { value: 'Babs@Example.com', type: 'work', primary: true };
const home = { value: 'babs@jensen.org', type: 'home', display: '' };
const login = { at: '2020-01-01T00:00:00Z', count: 7, ratio: 0.5, code: 'AbC', value: 'x' };

interface Row {
  /** The attribute holding the element: `emails`, `manager`, `logins`. */
  readonly on: string;
  readonly filter: string;
  readonly element: unknown;
  readonly match: boolean;
  /** Non-ASCII data: the oracle folds with toLowerCase only, so it is not compared. */
  readonly unicode?: boolean;
}

const rows: Row[] = [
  { on: 'emails', filter: 'type eq "work"', element: work, match: true },
  { on: 'emails', filter: 'type eq "WORK"', element: work, match: true },
  { on: 'emails', filter: 'TYPE eq "work"', element: work, match: true },
  { on: 'emails', filter: 'type eq "home"', element: work, match: false },
  { on: 'emails', filter: 'type ne "work"', element: work, match: false },
  { on: 'emails', filter: 'type ne "home"', element: work, match: true },
  { on: 'emails', filter: 'display eq "x"', element: work, match: false },
  { on: 'emails', filter: 'display ne "x"', element: work, match: true },
  { on: 'emails', filter: 'display pr', element: work, match: false },
  { on: 'emails', filter: 'display pr', element: home, match: false },
  { on: 'emails', filter: 'display eq null', element: home, match: true },
  { on: 'emails', filter: 'display ne null', element: home, match: false },
  { on: 'emails', filter: 'value pr', element: work, match: true },
  { on: 'emails', filter: 'value eq null', element: work, match: false },
  { on: 'emails', filter: 'value ne null', element: work, match: true },
  { on: 'emails', filter: 'value co "EXAMPLE"', element: work, match: true },
  { on: 'emails', filter: 'value sw "babs@"', element: work, match: true },
  { on: 'emails', filter: 'value ew ".COM"', element: work, match: true },
  { on: 'emails', filter: 'value ew ".org"', element: work, match: false },
  { on: 'emails', filter: 'value gt "a"', element: work, match: true },
  { on: 'emails', filter: 'value lt "B"', element: work, match: false },
  { on: 'emails', filter: 'value ge "babs@example.com"', element: work, match: true },
  { on: 'emails', filter: 'value le "babs@example.com"', element: work, match: true },
  { on: 'emails', filter: 'display gt "a"', element: work, match: false },
  { on: 'emails', filter: 'primary eq true', element: work, match: true },
  { on: 'emails', filter: 'primary eq false', element: work, match: false },
  { on: 'emails', filter: 'primary eq false', element: home, match: false },
  { on: 'emails', filter: 'primary ne true', element: home, match: true },
  { on: 'emails', filter: 'type eq "work" and primary eq true', element: work, match: true },
  { on: 'emails', filter: 'type eq "work" and primary eq false', element: work, match: false },
  { on: 'emails', filter: 'type eq "home" or primary eq true', element: work, match: true },
  { on: 'emails', filter: 'type eq "home" or display pr', element: work, match: false },
  { on: 'emails', filter: 'not (type eq "work")', element: work, match: false },
  { on: 'emails', filter: 'not (type eq "work")', element: home, match: true },
  { on: 'emails', filter: 'type eq "work"', element: {}, match: false },
  { on: 'emails', filter: 'type ne "work"', element: {}, match: true },
  { on: 'emails', filter: 'type eq "work"', element: null, match: false },
  { on: 'emails', filter: 'type eq "work"', element: 'work', match: false },
  { on: 'emails', filter: 'type eq "work"', element: { TYPE: 'work' }, match: true },
  { on: 'emails', filter: 'value eq "CAFÉ@example.com"', element: { value: 'Cafe\u0301@example.com' }, match: true, unicode: true },
  { on: 'emails', filter: 'value sw "straße"', element: { value: 'STRASSE' }, match: false, unicode: true },
  { on: 'emails', filter: 'value eq "ΣΊΣΥΦΟΣ"', element: { value: 'Σίσυφος' }, match: true, unicode: true },
  { on: 'manager', filter: 'value eq "abc"', element: { value: 'abc' }, match: true },
  { on: 'manager', filter: 'value eq "ABC"', element: { value: 'abc' }, match: false },
  { on: 'manager', filter: 'value ne "ABC"', element: { value: 'abc' }, match: true },
  { on: 'logins', filter: 'code eq "abc"', element: login, match: false },
  { on: 'logins', filter: 'code eq "AbC"', element: login, match: true },
  { on: 'logins', filter: 'code sw "ab"', element: login, match: false },
  { on: 'logins', filter: 'value eq "X"', element: login, match: true },
  { on: 'logins', filter: 'at eq "2020-01-01T01:00:00+01:00"', element: login, match: true },
  { on: 'logins', filter: 'at eq "2020-01-01"', element: login, match: true },
  { on: 'logins', filter: 'at gt "2019-12-31T23:59:59Z"', element: login, match: true },
  { on: 'logins', filter: 'at lt "2019-12-31T23:59:59Z"', element: login, match: false },
  { on: 'logins', filter: 'at ge "2020-01-01T00:00:00.000Z"', element: login, match: true },
  { on: 'logins', filter: 'at le "2020-01-01T00:00:00.001Z"', element: login, match: true },
  { on: 'logins', filter: 'at gt "2019-12-31T00:00:00Z"', element: { at: 'yesterday' }, match: false },
  { on: 'logins', filter: 'at ne "2019-12-31T00:00:00Z"', element: { at: 'yesterday' }, match: true },
  { on: 'logins', filter: 'count gt 5', element: login, match: true },
  { on: 'logins', filter: 'count eq "7"', element: login, match: true },
  { on: 'logins', filter: 'count le 6', element: login, match: false },
  { on: 'logins', filter: 'count eq 7', element: { count: '7' }, match: false },
  { on: 'logins', filter: 'ratio lt 1', element: login, match: true },
  { on: 'logins', filter: 'ratio ge 0.75', element: login, match: false },
];

function typeOf(row: Row): ResourceTypeDef {
  return row.on === 'logins' ? logins : userResourceType;
}

function inner(row: Row): ResolvedFilter {
  const resolved = resolveFilter(typeOf(row), parseFilter(`${row.on}[${row.filter}]`));
  assert.equal(resolved.kind, 'valuePath');
  return (resolved as Extract<ResolvedFilter, { kind: 'valuePath' }>).filter;
}

describe('matchesElement', () => {
  for (const row of rows) {
    it(`${row.on}[${row.filter}] on ${JSON.stringify(row.element)} is ${row.match}`, () => {
      assert.equal(matchesElement(row.element, inner(row)), row.match);
    });
  }

  it('agrees with the filter oracle on every ASCII row', () => {
    for (const row of rows) {
      if (row.unicode || row.element === null || typeof row.element !== 'object') continue;
      const holder = row.on === 'manager' ? { [ENT]: { manager: row.element } } : { [row.on]: [row.element] };
      const full = resolveFilter(typeOf(row), parseFilter(`${row.on}[${row.filter}]`));
      assert.equal(matchesFilter(holder, full), row.match, `${row.on}[${row.filter}]`);
    }
  });
});
