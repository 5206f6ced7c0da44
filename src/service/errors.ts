/** What went wrong, as the layers above map it: a bad input (400), a missing thing (404), a clash (409). */
export type DirectoryErrorKind = 'invalid' | 'notFound' | 'conflict';

const KINDS = {
  ROLLCALL_BAD_SLUG: 'invalid',
  ROLLCALL_BAD_WEBHOOK: 'invalid',
  ROLLCALL_ORG_EXISTS: 'conflict',
  ROLLCALL_NO_ORG: 'notFound',
  ROLLCALL_NO_TOKEN: 'notFound',
  ROLLCALL_NO_WEBHOOK: 'notFound',
  ROLLCALL_NO_LINK: 'notFound',
  ROLLCALL_BAD_LINK: 'invalid',
  ROLLCALL_BAD_SCHEMA: 'invalid',
  ROLLCALL_NO_SCHEMA: 'notFound',
  ROLLCALL_SCHEMA_REMOVING: 'conflict',
  ROLLCALL_SCHEMA_CHANGED: 'conflict',
  ROLLCALL_BAD_CATALOG: 'invalid',
  ROLLCALL_CATALOG_LIMIT: 'invalid',
  ROLLCALL_CATALOG_EXISTS: 'conflict',
  ROLLCALL_NO_CATALOG_ENTRY: 'notFound',
  ROLLCALL_NO_USER: 'notFound',
  ROLLCALL_BAD_KEYS: 'invalid',
  ROLLCALL_KEYS_RACE: 'conflict',
  ROLLCALL_NO_KEYS: 'notFound',
  ROLLCALL_NO_CLIENT: 'notFound',
  ROLLCALL_BAD_CLIENT: 'invalid',
  ROLLCALL_BAD_OPERATOR: 'invalid',
  ROLLCALL_OPERATOR_EXISTS: 'conflict',
  ROLLCALL_NO_OPERATOR: 'notFound',
} as const satisfies Record<string, DirectoryErrorKind>;

/** The stable codes of directory errors (the CLI prints them; scripts may match them). */
export type DirectoryErrorCode = keyof typeof KINDS;

/**
 * A failure of an operator-facing directory operation (organizations, tokens, webhooks), with a
 * stable code and the kind callers map to a response; SCIM requests fail with ScimError instead.
 */
export class DirectoryError extends Error {
  readonly code: DirectoryErrorCode;
  readonly kind: DirectoryErrorKind;

  constructor(code: DirectoryErrorCode, message: string) {
    super(message);
    this.name = 'DirectoryError';
    this.code = code;
    this.kind = KINDS[code];
  }
}

/** An organization setting that cannot be set: the CLI and the console say why in one line. */
export class SettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingError';
  }
}
