import type { GridMethod, GridRequests, HostMessage, WebviewMessage } from '../../src/shared/protocol.js';

/** Thrown into a caller whose request was cancelled or answered after it stopped caring. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled');
  }
}

/** A failed request, with the host's stable code and user message. */
export class RequestFailed extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Waiter {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** Request/response over postMessage: one response per id; responses for forgotten ids are dropped. */
export class Rpc {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();

  constructor(private readonly post: (message: WebviewMessage) => void) {}

  request<K extends GridMethod>(
    method: K,
    params: GridRequests[K]['params'],
  ): { id: number; result: Promise<GridRequests[K]['result']> } {
    const id = this.nextId++;
    const result = new Promise<GridRequests[K]['result']>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
    });
    this.post({ type: 'request', id, method, params } as WebviewMessage);
    return { id, result };
  }

  /** Stops waiting for `id` and tells the host it may skip the work. */
  cancel(id: number): void {
    const waiter = this.waiting.get(id);
    if (!waiter) return;
    this.waiting.delete(id);
    this.post({ type: 'cancel', id });
    waiter.reject(new CancelledError());
  }

  /** Settles the waiter of a response; returns false for messages that are not responses. */
  receive(message: HostMessage): boolean {
    if (message.type !== 'response') return false;
    const waiter = this.waiting.get(message.id);
    if (!waiter) return true;
    this.waiting.delete(message.id);
    if (message.ok) waiter.resolve(message.result);
    else if (message.cancelled) waiter.reject(new CancelledError());
    else waiter.reject(new RequestFailed(message.error.code, message.error.message));
    return true;
  }
}
