import type { Store } from '../store/store.js';
import { Organizations } from './organizations.js';
import { Users } from './users.js';

/** The service layer, composed over one store. */
export class Directory {
  readonly organizations: Organizations;
  readonly users: Users;

  constructor(readonly store: Store) {
    this.organizations = new Organizations(store);
    this.users = new Users(store);
  }
}
