import type { Fragment } from './fragment.js';

/** Where a page ended: the last row's `seq`, and the organization's `event_seq` at that moment. */
export interface PagePosition {
  readonly seq: number;
  readonly generation: number;
}

/**
 * Where pages end, per list: (organization, filter) and offset → the `seq` of the row before that
 * offset, and the organization's change counter when it was read. In-process and bounded: another
 * process, an evicted entry or a changed organization falls back to OFFSET.
 */
export class PageCursors {
  private readonly entries = new Map<string, PagePosition>();

  /** The key of a page: the list (the statement without its page) and the offset. */
  key(orgId: string, list: Fragment, offset: number): string {
    const { sql: text, parameters } = list.render('question');
    return `${orgId}\u0000${text}\u0000${JSON.stringify(parameters)}\u0000${offset}`;
  }

  /** The key of the page at `offset` in the same list as `key`. */
  next(key: string, offset: number): string {
    return `${key.slice(0, key.lastIndexOf('\u0000'))}\u0000${offset}`;
  }

  get(key: string): PagePosition | undefined {
    return this.entries.get(key);
  }

  set(key: string, position: PagePosition): void {
    if (this.entries.size >= 10_000) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, position);
  }
}
