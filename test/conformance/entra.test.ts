import { replayFolder } from './runner.js';

// Microsoft Entra ID's provisioning wire conversations (aadOptscim062020 behaviour), replayed.
replayFolder('entra');
