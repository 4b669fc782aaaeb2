import './grid.css';
import type { GridProtocol } from '../../src/shared/protocol.js';
import { App } from './app.js';
import { vscodeApi, WebviewChannel } from './channel.js';

const channel = new WebviewChannel<GridProtocol>();
const app = new App(document.getElementById('app') ?? document.body, vscodeApi(), channel);
channel.serve({ requests: {}, notifications: app.notifications });
