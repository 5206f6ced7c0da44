import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What the code below HTTP may know of the request it serves, without it being passed down every
 * call: an AbortSignal that fires when the client has gone away (or the request timed out), so a
 * database statement started for it can be cancelled. A leaf module: it imports nothing.
 */
export interface RequestScope {
  readonly signal: AbortSignal;
}

export const requestScope = new AsyncLocalStorage<RequestScope>();
