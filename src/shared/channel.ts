// The one request/response channel between the extension host and a webview: JSON-RPC 2.0 from
// vscode-jsonrpc (its environment-neutral API; each side creates the connection from its own entry,
// `vscode-jsonrpc/node` or `vscode-jsonrpc/browser`) over postMessage, one message per post.
import {
  AbstractMessageReader,
  AbstractMessageWriter,
  CancellationTokenSource,
  ErrorCodes,
  ParameterStructures,
  ResponseError,
  type CancellationToken,
  type DataCallback,
  type Disposable,
  type Message,
  type MessageConnection,
  type MessageReader,
  type MessageWriter,
} from 'vscode-jsonrpc';

export { CancellationTokenSource, type CancellationToken, type MessageConnection };

/** One request method: what it sends and what it answers. */
export interface RequestSpec {
  params: object;
  result: unknown;
}

/** What one webview's channel carries. Notification params are objects (`{}` when empty). */
export interface ChannelProtocol {
  /** Requests the webview sends; the host answers each once. */
  requests: object;
  /** Notifications the webview sends, besides {@link BaseWebviewNotifications}. */
  toHost: object;
  /** Notifications the host sends. */
  toWebview: object;
  /** Requests the host sends; the webview answers each once (`{}` for most webviews). */
  hostRequests: object;
}

/**
 * A webview error reported to the host's log: what it was and where, never its message (which may
 * quote SQL or values).
 */
export interface WebviewLog {
  kind: 'error' | 'unhandledrejection';
  /** The error's class, e.g. TypeError. */
  name: string;
  /** Stack frames as `file:line:column`, without the page's origin. */
  frames: string[];
}

/** Notifications every webview sends: `ready` first (the host posts nothing before it), `log` on errors. */
export interface BaseWebviewNotifications {
  ready: Record<string, never>;
  log: WebviewLog;
}

/** Host-side handler table: one function per request method, so a missing case fails to compile. */
export type RequestHandlers<R> = {
  [K in keyof R]: R[K] extends RequestSpec
    ? (params: R[K]['params'], token: CancellationToken) => Promise<R[K]['result']>
    : never;
};

/** Handler table for notifications: one function per method, so a missing case fails to compile. */
export type NotificationHandlers<N> = { [K in keyof N]: (params: N[K]) => void };

/** Sends a notification of the map `N`. */
export type Notify<N> = <K extends keyof N & string>(method: K, params: N[K]) => void;

/** Sends a request of the map `R`; rejects with {@link CancelledError} or {@link RequestFailed}. */
export type Request<R> = <K extends keyof R & string>(
  method: K,
  params: R[K] extends RequestSpec ? R[K]['params'] : never,
  token?: CancellationToken,
) => Promise<R[K] extends RequestSpec ? R[K]['result'] : never>;

/** JSON-RPC error code of a cancelled request (the code LSP uses). */
export const REQUEST_CANCELLED = -32800;
/** JSON-RPC error code of a failed request; `data.code` carries the stable application code. */
export const REQUEST_FAILED = -32000;

/** The caller cancelled the request, or the host dropped it as cancelled. */
export class CancelledError extends Error {
  constructor() {
    super('The request was cancelled.');
    this.name = 'CancelledError';
  }
}

/** A failed request, with the host's stable code and a message fit for the user. */
export class RequestFailed extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RequestFailed';
  }
}

/** The error a request handler throws (or a queue rejects with) when its caller cancelled. */
export function cancelledResponse(): ResponseError<void> {
  return new ResponseError(REQUEST_CANCELLED, 'The request was cancelled.');
}

/** True for a value shaped like a JSON-RPC 2.0 message (what the channel reads from postMessage). */
export function isJsonRpcMessage(value: unknown): value is Message {
  return typeof value === 'object' && value !== null && (value as { jsonrpc?: unknown }).jsonrpc === '2.0';
}

/** True for the `ready` notification a webview sends when its page (re)starts. */
export function isReadyMessage(value: unknown): boolean {
  return isJsonRpcMessage(value) && (value as { method?: unknown }).method === 'ready';
}

/** Reads messages handed to {@link receive}, one posted value each. */
export class PostMessageReader extends AbstractMessageReader implements MessageReader {
  private callback: DataCallback | undefined;

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    return { dispose: () => (this.callback = undefined) };
  }

  /** Feeds one posted value. Values that are not JSON-RPC messages are reported as errors, never thrown. */
  receive(value: unknown): void {
    if (!isJsonRpcMessage(value)) {
      this.fireError(new Error('Ignored a posted value that is not a JSON-RPC message.'));
      return;
    }
    try {
      this.callback?.(value);
    } catch (e) {
      this.fireError(e);
    }
  }
}

/** Writes each message with one `post` (webview.postMessage or acquireVsCodeApi().postMessage). */
export class PostMessageWriter extends AbstractMessageWriter implements MessageWriter {
  private closed = false;
  private errors = 0;

  constructor(private readonly post: (message: unknown) => void) {
    super();
  }

  write(message: Message): Promise<void> {
    if (this.closed) return Promise.resolve();
    try {
      this.post(message);
      return Promise.resolve();
    } catch (e) {
      this.fireError(e, message, ++this.errors);
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** Drops every later write (answers of a page that is gone must not reach its successor). */
  end(): void {
    this.closed = true;
  }
}

function isParams(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function failure(e: unknown): ResponseError<{ code: string }> {
  const code = (e as { code?: unknown } | null)?.code;
  return new ResponseError(REQUEST_FAILED, e instanceof Error ? e.message : String(e), {
    code: typeof code === 'string' ? code : 'INTERNAL',
  });
}

/** Turns a rejected sendRequest into {@link CancelledError} or {@link RequestFailed}. */
function callerError(e: unknown): Error {
  if (e instanceof ResponseError) {
    if (e.code === REQUEST_CANCELLED) return new CancelledError();
    const data = e.data as { code?: unknown } | undefined;
    return new RequestFailed(typeof data?.code === 'string' ? data.code : 'INTERNAL', e.message);
  }
  return e instanceof Error ? e : new Error(String(e));
}

/** Handlers of one side: the requests it answers and the notifications it receives. */
export interface EndpointHandlers<R, N> {
  requests: RequestHandlers<R>;
  notifications: NotificationHandlers<N>;
}

/**
 * The typed face of one connection. `SendR`/`SendN` are what this side sends, `HandleR`/`HandleN` what
 * it answers. Every posted value is untrusted: unknown methods and params that are not objects are
 * refused before a handler sees them (handlers check the fields they use). A request whose caller
 * cancelled is answered with {@link REQUEST_CANCELLED}, never with data.
 */
export class Endpoint<SendR, SendN, HandleR, HandleN> {
  constructor(
    private readonly connection: MessageConnection,
    private readonly handlers: EndpointHandlers<HandleR, HandleN>,
    /** Reports what went wrong; `error` is what a handler threw (the side decides what of it to log). */
    private readonly problem: (line: string, error?: unknown) => void,
  ) {
    connection.onRequest((method, params, token) => this.answer(method, params, token));
    connection.onNotification((method, params) => this.deliver(method, params));
  }

  readonly request: Request<SendR> = (method, params, token) => {
    const answer = this.connection
      .sendRequest(method, ParameterStructures.byName, params, ...(token ? [token] : []))
      .catch((e: unknown) => {
        throw callerError(e);
      });
    if (!token) return answer as never;
    // A cancelled caller stops waiting at once; whatever the host answers later is dropped.
    return new Promise((resolve, reject) => {
      if (token.isCancellationRequested) reject(new CancelledError());
      const listener = token.onCancellationRequested(() => reject(new CancelledError()));
      answer.then(resolve as (v: unknown) => void, reject).finally(() => listener.dispose());
    });
  };

  readonly notify: Notify<SendN> = (method, params) => {
    this.connection.sendNotification(method, ParameterStructures.byName, params).catch(() => undefined);
  };

  private async answer(method: string, params: unknown, token: CancellationToken): Promise<unknown> {
    const table = this.handlers.requests as Record<
      string,
      (p: unknown, t: CancellationToken) => Promise<unknown>
    >;
    if (!Object.hasOwn(table, method)) {
      this.problem(`refused an unknown request "${method.slice(0, 40)}"`);
      throw new ResponseError(ErrorCodes.MethodNotFound, `Unknown request "${method.slice(0, 40)}".`);
    }
    if (!isParams(params)) throw new ResponseError(ErrorCodes.InvalidParams, `${method} needs named params.`);
    if (token.isCancellationRequested) throw cancelledResponse();
    let result: unknown;
    try {
      result = await table[method]!(params, token);
    } catch (e) {
      if (e instanceof ResponseError) throw e;
      if (token.isCancellationRequested) throw cancelledResponse();
      this.problem(`${method} failed`, e);
      throw failure(e);
    }
    if (token.isCancellationRequested) throw cancelledResponse();
    return result;
  }

  private deliver(method: string, params: unknown): void {
    const table = this.handlers.notifications as Record<string, (p: unknown) => void>;
    if (!Object.hasOwn(table, method)) {
      this.problem(`ignored an unknown notification "${method.slice(0, 40)}"`);
      return;
    }
    if (!isParams(params)) {
      this.problem(`ignored ${method}: its params are not an object`);
      return;
    }
    try {
      table[method]!(params);
    } catch (e) {
      this.problem(`${method} failed`, e);
    }
  }
}

/** A notification of the map `N` as one object: its method as `type` beside its params. */
export type NotificationMessage<N> = {
  [K in keyof N & string]: { type: K } & N[K];
}[keyof N & string];
