/**
 * Every rule that bends RFC 7643/7644 for a client, in one folder: each a named function whose
 * comment points at the fixture or test that shows a client sending it. docs/compatibility.md
 * lists the same rules; a test keeps the two, and the fixtures, in step.
 */
export * from './values.js';
export * from './names.js';
export * from './patch.js';
export * from './members.js';
export * from './query.js';

/** One rule: its function, the module it lives in, who sends it, and where that is replayed. */
export interface InboundRule {
  readonly name: string;
  readonly module: string;
  readonly sentBy: string;
  readonly replayedIn: string;
}

/** The rules, for docs and tests. The HTTP-level one (a bare token) lives in src/http/auth.ts. */
export const INBOUND_RULES: readonly InboundRule[] = [
  { name: 'booleanFromString', module: 'values', sentBy: 'Entra ID, OneLogin templates', replayedIn: 'test/conformance/fixtures/entra/02-user-lifecycle.json' },
  { name: 'isEmptyString', module: 'values', sentBy: 'templates', replayedIn: 'test/conformance/fixtures/entra/02-user-lifecycle.json' },
  { name: 'singleAsArray', module: 'values', sentBy: 'OneLogin templates', replayedIn: 'test/http/patch.test.ts' },
  { name: 'onlyElement', module: 'values', sentBy: 'Entra ID (manager)', replayedIn: 'test/conformance/fixtures/entra/02-user-lifecycle.json' },
  { name: 'scalarAsValueObject', module: 'values', sentBy: 'Entra ID (manager)', replayedIn: 'test/conformance/fixtures/entra/02-user-lifecycle.json' },
  { name: 'scalarAsString', module: 'values', sentBy: 'templates, attribute mappings', replayedIn: 'test/http/users.test.ts' },
  { name: 'qualifiedKey', module: 'names', sentBy: 'Entra ID (path-less PATCH values)', replayedIn: 'test/conformance/fixtures/entra/02-user-lifecycle.json' },
  { name: 'coreUnderUrn', module: 'names', sentBy: 'scimverify, generated clients', replayedIn: 'test/http/gaps.test.ts' },
  { name: 'isEchoedReadOnly', module: 'names', sentBy: 'Okta', replayedIn: 'test/conformance/fixtures/okta/03-group-push.json' },
  {
    name: 'operationName',
    module: 'patch',
    sentBy: "Entra ID, Microsoft's reference collection",
    replayedIn: 'test/conformance/fixtures/entra/02-user-lifecycle.json',
  },
  { name: 'optionalPath', module: 'patch', sentBy: 'generic clients', replayedIn: 'src/protocol/messages/patch-op.test.ts' },
  { name: 'schemasMayBeAbsent', module: 'patch', sentBy: 'generic clients, templates', replayedIn: 'src/protocol/messages/patch-op.test.ts' },
  { name: 'isOwnId', module: 'patch', sentBy: 'Okta', replayedIn: 'test/conformance/fixtures/okta/03-group-push.json' },
  { name: 'elementFromFilter', module: 'patch', sentBy: 'Entra ID', replayedIn: 'test/conformance/fixtures/entra/02-user-lifecycle.json' },
  { name: 'removesListedElements', module: 'patch', sentBy: 'Entra ID', replayedIn: 'test/conformance/fixtures/entra/04-groups.json' },
  {
    name: 'memberValues',
    module: 'members',
    sentBy: "Entra ID, Microsoft's reference collection",
    replayedIn: 'test/conformance/ms-scim-reference/ms-scim-reference.postman_collection.json',
  },
  { name: 'queryParam', module: 'query', sentBy: 'generic clients', replayedIn: 'test/http/filter.test.ts' },
  {
    name: 'unquotedValue',
    module: 'query',
    sentBy: "Entra ID (legacy), Microsoft's reference collection",
    replayedIn: 'test/conformance/ms-scim-reference/ms-scim-reference.postman_collection.json',
  },
  { name: 'valueFilterWithTrailingComparison', module: 'query', sentBy: 'Entra ID', replayedIn: 'test/conformance/fixtures/entra/02-user-lifecycle.json' },
];
