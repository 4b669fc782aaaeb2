// The host end of a webview's channel, kept free of `vscode` so the webview tests run it in plain Node:
// `post` is webview.postMessage, and everything onDidReceiveMessage delivers goes to receive().
import { createMessageConnection, type Logger as RpcLogger } from 'vscode-jsonrpc/node';
import { errorLogText } from '../engine/errors.js';
import {
  CancelledError,
  Endpoint,
  isReadyMessage,
  PostMessageReader,
  PostMessageWriter,
  type BaseWebviewNotifications,
  type ChannelProtocol,
  type MessageConnection,
  type NotificationHandlers,
  type Notify,
  type Request,
  type RequestHandlers,
  type WebviewLog,
} from '../shared/channel.js';

export interface HostChannelOptions {
  /** Posts one message to the webview (webview.postMessage). */
  post(message: unknown): void;
  /** A line for the component's log: channel problems and the webview's own errors. */
  log(line: string): void;
}

/** What the host does with the webview's requests and notifications. */
export interface HostHandlers<P extends ChannelProtocol> {
  requests: RequestHandlers<P['requests']>;
  notifications: NotificationHandlers<P['toHost']>;
  /** The webview (re)started and listens: post what it should show. */
  ready(): void;
}

type HostEndpoint<P extends ChannelProtocol> = Endpoint<
  P['hostRequests'],
  P['toWebview'],
  P['requests'],
  P['toHost'] & BaseWebviewNotifications
>;

/**
 * One webview's JSON-RPC channel on the host. Nothing is posted before the webview's `ready`. Each
 * `ready` starts a fresh connection: a rebuilt page numbers its requests from 0 again, so answers
 * still due to the old page are dropped rather than delivered to the new one.
 */
export class HostChannel<P extends ChannelProtocol> {
  private handlers: HostHandlers<P> | undefined;
  private current:
    | {
        connection: MessageConnection;
        reader: PostMessageReader;
        writer: PostMessageWriter;
        endpoint: HostEndpoint<P>;
      }
    | undefined;
  private disposed = false;

  constructor(private readonly options: HostChannelOptions) {}

  /** Sets the handlers; call once, before the webview can post. */
  serve(handlers: HostHandlers<P>): void {
    this.handlers = handlers;
  }

  /** True once the webview sent `ready` (and until it is gone). */
  get isReady(): boolean {
    return this.current !== undefined;
  }

  /** Entry point for everything the webview posts. Never throws. */
  receive(message: unknown): void {
    if (this.disposed) return;
    if (isReadyMessage(message)) this.connect();
    if (!this.current) {
      this.options.log('webview: ignored a message before ready');
      return;
    }
    this.current.reader.receive(message);
  }

  /** Sends a request to the webview; rejects with {@link CancelledError} while it is not ready. */
  readonly request: Request<P['hostRequests']> = (method, params, token) =>
    this.current
      ? this.current.endpoint.request(method, params, token)
      : Promise.reject(new CancelledError());

  /** Sends a notification; dropped while the webview is not ready (its `ready` handler sends the state). */
  readonly notify: Notify<P['toWebview']> = (method, params) => {
    this.current?.endpoint.notify(method, params);
  };

  dispose(): void {
    this.disposed = true;
    this.disconnect();
  }

  private connect(): void {
    const handlers = this.handlers;
    this.disconnect();
    if (!handlers) {
      this.options.log('webview: ready before the host served its handlers');
      return;
    }
    const reader = new PostMessageReader();
    const writer = new PostMessageWriter((m) => this.options.post(m));
    // Never an error's message: DuckDB's quote SQL and values (see errorLogText).
    const log = (line: string, error?: unknown): void =>
      this.options.log(`webview: ${firstLine(line)}${error === undefined ? '' : `: ${errorLogText(error)}`}`);
    const logger: RpcLogger = {
      error: (m) => log(m),
      warn: (m) => log(m),
      info: () => undefined,
      log: () => undefined,
    };
    const connection = createMessageConnection(reader, writer, logger);
    let logged = 0;
    const base: NotificationHandlers<BaseWebviewNotifications> = {
      ready: () => handlers.ready(),
      log: (entry) => {
        // A page failing in a loop must not flood the log.
        if (++logged <= MAX_WEBVIEW_LOG_LINES) this.options.log(describeWebviewError(entry));
        else if (logged === MAX_WEBVIEW_LOG_LINES + 1)
          this.options.log('webview: further errors of this page are not logged');
      },
    };
    const endpoint: HostEndpoint<P> = new Endpoint(
      connection,
      {
        requests: handlers.requests,
        notifications: { ...handlers.notifications, ...base } as NotificationHandlers<
          P['toHost'] & BaseWebviewNotifications
        >,
      },
      log,
    );
    connection.onError(([error]) => log('connection error', error));
    connection.listen();
    this.current = { connection, reader, writer, endpoint };
  }

  private disconnect(): void {
    const current = this.current;
    this.current = undefined;
    if (!current) return;
    current.writer.end();
    current.connection.dispose();
  }
}

const MAX_WEBVIEW_LOG_LINES = 50;

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/**
 * A webview error as one log line: its kind, error name and where it happened (`file:line:column`
 * frames). Never its message, which may quote SQL or values (as the host's own logs never do).
 */
export function describeWebviewError(entry: WebviewLog): string {
  const frames = Array.isArray(entry.frames)
    ? entry.frames
        .filter((f): f is string => typeof f === 'string' && /^[\w./-]+:\d+:\d+$/.test(f))
        .slice(0, 5)
    : [];
  const kind = entry.kind === 'unhandledrejection' ? 'unhandled rejection' : 'error';
  const name = typeof entry.name === 'string' && /^\w{1,40}$/.test(entry.name) ? entry.name : 'Error';
  return `webview ${kind}: ${name}${frames.length ? ` at ${frames.join(' < ')}` : ''}`;
}
