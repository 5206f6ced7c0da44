import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as members from './members.js';
import * as names from './names.js';
import * as patch from './patch.js';
import * as query from './query.js';
import * as values from './values.js';
import { INBOUND_RULES } from './index.js';

const MODULES: Record<string, Record<string, unknown>> = { values, names, patch, members, query };
const docs = readFileSync(new URL('../../../docs/compatibility.md', import.meta.url), 'utf8');
const root = new URL('../../../', import.meta.url);

describe('inbound rules: one folder, listed, documented, each pointing at a replay', () => {
  it('every function the folder exports is a listed rule, and every listed rule exists', () => {
    const exported = Object.entries(MODULES).flatMap(([m, mod]) =>
      Object.entries(mod)
        .filter(([, v]) => typeof v === 'function')
        .map(([n]) => `${m}.${n}`),
    );
    assert.deepEqual(exported.sort(), INBOUND_RULES.map((r) => `${r.module}.${r.name}`).sort());
  });

  for (const rule of INBOUND_RULES) {
    it(`${rule.name}: its replay exists, its source comment points at one, docs/compatibility.md names it`, () => {
      assert.ok(existsSync(new URL(rule.replayedIn, root)), rule.replayedIn);
      const source = readFileSync(new URL(`./${rule.module}.ts`, import.meta.url), 'utf8');
      const at = source.indexOf(`export function ${rule.name}(`);
      const comment = source.slice(source.lastIndexOf('/**', at), at);
      assert.match(comment, /See: (test|src)\//, `${rule.name} has no "See:" pointer`);
      assert.ok(docs.includes(`\`${rule.name}\``), `docs/compatibility.md does not name ${rule.name}`);
    });
  }
});

describe('inbound rules: what each reads', () => {
  it('booleanFromString', () => {
    assert.equal(values.booleanFromString('True'), true);
    assert.equal(values.booleanFromString(' false '), false);
    assert.equal(values.booleanFromString('yes'), undefined);
  });
  it('onlyElement refuses two values', () => {
    assert.equal(values.onlyElement(['x'], 'title'), 'x');
    assert.throws(() => values.onlyElement(['x', 'y'], 'title'), /single-valued/);
  });
  it('scalarAsValueObject and scalarAsString', () => {
    assert.deepEqual(values.scalarAsValueObject('id-1'), { value: 'id-1' });
    assert.equal(values.scalarAsValueObject({}), undefined);
    assert.equal(values.scalarAsString(42), '42');
    assert.equal(values.scalarAsString(null), undefined);
  });
  it('operationName and optionalPath', () => {
    assert.equal(patch.operationName(' Replace '), 'replace');
    assert.equal(patch.optionalPath('  '), undefined);
    assert.equal(patch.optionalPath(' title '), 'title');
  });
  it('memberValues: bare ids, capitalised keys, null', () => {
    assert.deepEqual(members.memberValues('u1'), [{ value: 'u1' }]);
    assert.deepEqual(members.memberValues([{ Value: 'u1', TYPE: 'User', display: 'x' }]), [{ value: 'u1', type: 'User', display: 'x' }]);
    assert.deepEqual(members.memberValues(null), []);
  });
  it('unquotedValue', () => {
    assert.equal(query.unquotedValue('True'), true);
    assert.equal(query.unquotedValue('null'), null);
    assert.equal(query.unquotedValue('42'), 42);
    assert.equal(query.unquotedValue('jyoung'), 'jyoung');
  });
});
