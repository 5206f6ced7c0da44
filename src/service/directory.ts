import type { Store } from '../store/store.js';
import { Groups } from './groups.js';
import { Organizations } from './organizations.js';
import { Users } from './users.js';

/** The service layer, composed over one store. */
export class Directory {
  readonly organizations: Organizations;
  readonly users: Users;
  readonly groups: Groups;

  constructor(readonly store: Store) {
    this.organizations = new Organizations(store);
    this.users = new Users(store);
    this.groups = new Groups(store);
  }
}
