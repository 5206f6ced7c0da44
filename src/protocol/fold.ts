/**
 * Case folding for case-insensitive comparison (RFC 7643 §2.2 caseExact=false): NFC, then full
 * Unicode lower case. Stored copies and query parameters both use it, so SQLite (whose lower()
 * folds ASCII only) and PostgreSQL compare alike.
 */
export const fold = (s: string): string => s.normalize('NFC').toLowerCase();
