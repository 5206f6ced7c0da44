/**
 * Every limit on what a request may ask, in one place. Each is far above what identity providers
 * send (Okta and Entra ID filter on one or two attributes, PATCH a handful of operations) and
 * small enough that no request can make a database do unbounded work. Past a limit the answer is
 * a SCIM error that names it (docs/reliability.md lists them).
 */
export const LIMITS = {
  /** Characters of a filter expression. */
  filterLength: 4096,
  /** Comparisons and presence tests in one filter, value-path filters included. */
  filterTerms: 50,
  /** Parentheses (and `not (...)`) nested in a filter. */
  filterDepth: 64,
  /** Operations in one PatchOp. */
  patchOperations: 1000,
  /** Nesting of a JSON body (objects and arrays). */
  jsonDepth: 32,
  /**
   * Values of one multi-valued attribute of a resource (emails, roles, an extension's list):
   * each is a row of its own. A group's `members` are memberships, bounded by the body size.
   */
  values: 1000,
  /** UTF-8 bytes of one string value: every indexed value must fit a database index entry. */
  stringBytes: 2048,
  /** Characters of a resource id in a URL (ids Rollcall makes are 36). */
  idLength: 256,
  /** The largest startIndex, count or sequence number a request may name (a 32-bit integer). */
  integer: 2_147_483_647,
} as const;
