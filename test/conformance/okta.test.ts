import { replayFolder } from './runner.js';

// Okta's provisioning wire conversations (SCIM 2.0 Test App, Header Auth), replayed byte for byte.
replayFolder('okta');
