/** A unique index refused a write: the service layer maps it to a SCIM 409. */
export class UniqueViolation extends Error {
  readonly constraint: string;
  constructor(constraint: string, cause?: unknown) {
    super(`unique constraint violated: ${constraint}`, { cause });
    this.name = 'UniqueViolation';
    this.constraint = constraint;
  }
}

/** An optimistic version check failed: the row changed since it was read. */
export class VersionConflict extends Error {
  constructor() {
    super('the row changed since it was read');
    this.name = 'VersionConflict';
  }
}
