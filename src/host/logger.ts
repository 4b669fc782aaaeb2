import * as vscode from 'vscode';
import { errorLogText } from '../engine/errors.js';

/** Command that reveals the log channel. */
export const SHOW_LOGS_COMMAND = 'microDataWarehouse.logs.show';

/** A logger for one component: every line starts with `[component]`. */
export interface ComponentLogger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  /**
   * Logs the message, then what {@link errorLogText} keeps of the error (class, codes, position, stack
   * frames; never its message, which can quote SQL). Never pass secrets or worksheet text in `message`.
   */
  error(message: string, error?: unknown): void;
}

/** The extension's one LogOutputChannel, shared by all components. */
export class Logger {
  private constructor(private readonly channel: vscode.LogOutputChannel) {}

  /** Creates the channel and the Show Logs command; both are disposed with the extension. */
  static register(context: vscode.ExtensionContext): Logger {
    const channel = vscode.window.createOutputChannel('MicroDataWarehouse', { log: true });
    const logger = new Logger(channel);
    context.subscriptions.push(
      channel,
      vscode.commands.registerCommand(SHOW_LOGS_COMMAND, () => logger.show()),
    );
    return logger;
  }

  /** A logger whose lines carry the component name. */
  component(name: string): ComponentLogger {
    const prefix = `[${name}] `;
    const channel = this.channel;
    return {
      trace: (message) => channel.trace(prefix + message),
      debug: (message) => channel.debug(prefix + message),
      info: (message) => channel.info(prefix + message),
      warn: (message) => channel.warn(prefix + message),
      error: (message, error) =>
        error === undefined
          ? channel.error(prefix + message)
          : channel.error(`${prefix}${message}: ${errorLogText(error)}`),
    };
  }

  show(): void {
    this.channel.show(true);
  }
}
