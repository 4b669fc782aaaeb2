// The webview end of its channel to the host (see src/shared/channel.ts): JSON-RPC over
// acquireVsCodeApi().postMessage out and window `message` events in.
import { createMessageConnection } from 'vscode-jsonrpc/browser';
import {
  Endpoint,
  isJsonRpcMessage,
  PostMessageReader,
  PostMessageWriter,
  type BaseWebviewNotifications,
  type CancellationToken,
  type ChannelProtocol,
  type EndpointHandlers,
  type Notify,
  type Request,
  type RequestSpec,
  type WebviewLog,
} from '../../src/shared/channel.js';

/** The webview side of VS Code's API (acquired once per page). */
export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

let api: VsCodeApi | undefined;

/** The page's one VS Code API object (acquireVsCodeApi may be called only once per page). */
export function vscodeApi(): VsCodeApi {
  api ??= acquireVsCodeApi();
  return api;
}

/** The requests and notifications a grid sends: what the Results page and the worksheet page share. */
export interface GridClient<R, N> {
  request<K extends keyof R & string>(
    method: K,
    params: R[K] extends RequestSpec ? R[K]['params'] : never,
    token?: CancellationToken,
  ): Promise<R[K] extends RequestSpec ? R[K]['result'] : never>;
  notify<K extends keyof N & string>(method: K, params: N[K]): void;
}

type WebviewEndpoint<P extends ChannelProtocol> = Endpoint<
  P['requests'],
  P['toHost'] & BaseWebviewNotifications,
  P['hostRequests'],
  P['toWebview']
>;

/**
 * The page's channel. Create it, let the page's parts send on it, then {@link serve} the host's
 * notifications and requests: that starts listening and sends `ready`, after which the host posts.
 */
export class WebviewChannel<P extends ChannelProtocol> {
  private readonly reader = new PostMessageReader();
  private readonly writer: PostMessageWriter;
  private readonly connection;
  private endpoint: WebviewEndpoint<P> | undefined;

  constructor(private readonly vscode: VsCodeApi = vscodeApi()) {
    this.writer = new PostMessageWriter((m) => this.vscode.postMessage(m));
    this.connection = createMessageConnection(this.reader, this.writer);
  }

  readonly request: Request<P['requests']> = (method, params, token) =>
    this.live().request(method, params, token);

  readonly notify: Notify<P['toHost']> = (method, params) =>
    this.live().notify(method as never, params as never);

  /** Handles the host's notifications (and requests) from now on, and tells the host this page is ready. */
  serve(handlers: EndpointHandlers<P['hostRequests'], P['toWebview']>): void {
    this.endpoint = new Endpoint(this.connection, handlers, (line) => console.warn(`channel: ${line}`));
    window.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (isJsonRpcMessage(event.data)) this.reader.receive(event.data);
    });
    this.connection.listen();
    const base = this.endpoint.notify as Notify<BaseWebviewNotifications>;
    forwardErrors((entry) => base('log', entry));
    base('ready', {});
  }

  private live(): WebviewEndpoint<P> {
    if (!this.endpoint) throw new Error('The channel is not served yet.');
    return this.endpoint;
  }
}

/** Frames of a stack as `file:line:column`, without the page's origin or path. */
function frames(stack: unknown): string[] {
  if (typeof stack !== 'string') return [];
  const out: string[] = [];
  for (const m of stack.matchAll(/([\w.-]+\.js):(\d+):(\d+)/g)) out.push(`${m[1]}:${m[2]}:${m[3]}`);
  return out.slice(0, 5);
}

/** Reports uncaught errors and unhandled rejections of this page to the host's log (never their message). */
function forwardErrors(send: (entry: WebviewLog) => void): void {
  const report = (kind: WebviewLog['kind'], error: unknown): void => {
    const e = error instanceof Error ? error : undefined;
    send({ kind, name: e?.name ?? typeof error, frames: frames(e?.stack) });
  };
  window.addEventListener('error', (event) => report('error', event.error));
  window.addEventListener('unhandledrejection', (event) => report('unhandledrejection', event.reason));
}
