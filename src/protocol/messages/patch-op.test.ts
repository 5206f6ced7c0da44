import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScimError } from './error.js';
import { PATCH_OP, parsePatchRequest, type PatchOperation } from './index.js';

interface Row {
  readonly name: string;
  readonly body: unknown;
  readonly out?: PatchOperation[];
  readonly err?: [string, RegExp];
}

const body = (...Operations: unknown[]): Record<string, unknown> => ({ schemas: [PATCH_OP], Operations });

const rows: Row[] = [
  {
    name: 'Okta deactivation',
    body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] },
    out: [{ op: 'replace', value: { active: false } }],
  },
  {
    name: 'Entra operation names in any case',
    body: body({ op: 'Replace', path: 'active', value: 'False' }, { op: 'ADD', path: 'nickName', value: 'Babs' }, { op: 'Remove', path: 'title' }),
    out: [
      { op: 'replace', path: 'active', value: 'False' },
      { op: 'add', path: 'nickName', value: 'Babs' },
      { op: 'remove', path: 'title' },
    ],
  },
  { name: 'schemas may be missing', body: { Operations: [{ op: 'remove', path: 'title' }] }, out: [{ op: 'remove', path: 'title' }] },
  { name: 'schemas null counts as missing', body: { schemas: null, Operations: [{ op: 'remove', path: 'title' }] }, out: [{ op: 'remove', path: 'title' }] },
  {
    name: 'schemas URN in any case',
    body: { schemas: [PATCH_OP.toUpperCase()], Operations: [{ op: 'remove', path: 'title' }] },
    out: [{ op: 'remove', path: 'title' }],
  },
  {
    name: 'member names in any case',
    body: { Schemas: [PATCH_OP], operations: [{ OP: 'add', Path: 'title', VALUE: 'x' }] },
    out: [{ op: 'add', path: 'title', value: 'x' }],
  },
  { name: 'path is trimmed', body: body({ op: 'add', path: ' title ', value: 'x' }), out: [{ op: 'add', path: 'title', value: 'x' }] },
  { name: 'blank path is no path', body: body({ op: 'add', path: '', value: { title: 'x' } }), out: [{ op: 'add', value: { title: 'x' } }] },
  { name: 'null value is a value', body: body({ op: 'replace', path: 'title', value: null }), out: [{ op: 'replace', path: 'title', value: null }] },
  {
    name: 'remove keeps its value (Entra)',
    body: body({ op: 'Remove', path: 'emails', value: [{ value: 'x@y' }] }),
    out: [{ op: 'remove', path: 'emails', value: [{ value: 'x@y' }] }],
  },
  { name: 'body not an object', body: [], err: ['invalidSyntax', /JSON object/] },
  { name: 'body null', body: null, err: ['invalidSyntax', /JSON object/] },
  {
    name: 'wrong schema',
    body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], Operations: [{ op: 'remove', path: 'x' }] },
    err: ['invalidSyntax', /schemas/],
  },
  { name: 'schemas not an array', body: { schemas: PATCH_OP, Operations: [{ op: 'remove', path: 'x' }] }, err: ['invalidSyntax', /schemas/] },
  { name: 'Operations missing', body: { schemas: [PATCH_OP] }, err: ['invalidSyntax', /Operations/] },
  { name: 'Operations empty', body: body(), err: ['invalidSyntax', /non-empty/] },
  { name: 'Operations not an array', body: { schemas: [PATCH_OP], Operations: { op: 'remove', path: 'x' } }, err: ['invalidSyntax', /Operations/] },
  { name: 'operation not an object', body: body('remove'), err: ['invalidSyntax', /Operations\[0\]/] },
  { name: 'unknown op', body: body({ op: 'move', path: 'title', value: 'x' }), err: ['invalidSyntax', /"move"/] },
  { name: 'missing op', body: body({ path: 'title', value: 'x' }), err: ['invalidSyntax', /op must be/] },
  { name: 'op not a string', body: body({ op: 1, path: 'title', value: 'x' }), err: ['invalidSyntax', /op must be/] },
  { name: 'add without value', body: body({ op: 'add', path: 'title' }), err: ['invalidSyntax', /"add" operation needs a "value"/] },
  {
    name: 'replace without value',
    body: body({ op: 'replace', value: { title: 'x' } }, { op: 'replace', path: 'title' }),
    err: ['invalidSyntax', /Operations\[1\]/],
  },
  { name: 'path-less value must be an object', body: body({ op: 'replace', value: 'x' }), err: ['invalidSyntax', /object of attributes/] },
  { name: 'path-less value must not be an array', body: body({ op: 'add', value: [{ title: 'x' }] }), err: ['invalidSyntax', /object of attributes/] },
  { name: 'path-less null value', body: body({ op: 'replace', value: null }), err: ['invalidSyntax', /object of attributes/] },
  { name: 'remove without path', body: body({ op: 'remove' }), err: ['noTarget', /path/] },
  { name: 'remove with blank path', body: body({ op: 'remove', path: '  ' }), err: ['noTarget', /path/] },
  { name: 'path not a string', body: body({ op: 'remove', path: ['title'] }), err: ['invalidSyntax', /path must be a string/] },
];

describe('parsePatchRequest', () => {
  for (const row of rows) {
    it(row.name, () => {
      if (row.err) {
        const [scimType, detail] = row.err;
        assert.throws(
          () => parsePatchRequest(row.body),
          (e: ScimError) => e.status === 400 && e.scimType === scimType && detail.test(e.detail),
        );
        return;
      }
      assert.deepEqual(parsePatchRequest(row.body), row.out);
    });
  }
});
