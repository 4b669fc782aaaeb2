import * as net from 'node:net';
import type { Transporter } from 'nodemailer';
import { EngineError, errorMessage } from '../errors.js';

/** A message to deliver. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Delivers sign-in messages. Throws MAIL_FAILED with a message the user can act on. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
  /** Short description for messages ("SMTP 127.0.0.1:2525", "development delivery"). */
  describe(): string;
}

/** SMTP settings. The password is kept only in memory, never in the store or logs. */
export interface SmtpConfig {
  host: string;
  port: number;
  /** true: implicit TLS from the first byte (smtps, usually 465); false: plain, upgraded by STARTTLS when offered. */
  secure: boolean;
  /** Refuse to continue without STARTTLS (default: true when credentials go to a host other than loopback). */
  requireTls?: boolean;
  user?: string;
  password?: string;
  /** Sender address, e.g. `MicroDataWarehouse <noreply@example.com>`. */
  from: string;
  /** Extra trusted CA certificates (PEM), e.g. a company or test CA. */
  ca?: string | Buffer;
  /** Connection, greeting and socket timeouts in ms (default 15000). */
  timeoutMs?: number;
}

/**
 * Reads `smtp://user:pass@host:port` (STARTTLS when offered, default port 587) or `smtps://…` (implicit TLS,
 * default 465) into an {@link SmtpConfig}. User and password may be percent-encoded.
 */
export function parseSmtpUrl(url: string, from: string): SmtpConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new EngineError(
      'INVALID_ARGUMENT',
      'The SMTP URL is not a URL; expected smtp://user:password@host:port or smtps://…',
    );
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  if (scheme !== 'smtp' && scheme !== 'smtps') {
    throw new EngineError(
      'INVALID_ARGUMENT',
      `The SMTP URL must start with smtp:// or smtps://, not ${scheme}://.`,
    );
  }
  if (!parsed.hostname) throw new EngineError('INVALID_ARGUMENT', 'The SMTP URL has no host.');
  if (!from || !from.trim()) {
    throw new EngineError(
      'INVALID_ARGUMENT',
      'A sender address is needed (MDW_MAIL_FROM), e.g. noreply@example.com.',
    );
  }
  const secure = scheme === 'smtps';
  const config: SmtpConfig = {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : secure ? 465 : 587,
    secure,
    from: from.trim(),
  };
  if (parsed.username) config.user = decodeURIComponent(parsed.username);
  if (parsed.password) config.password = decodeURIComponent(parsed.password);
  const tls = parsed.searchParams.get('starttls');
  if (tls === 'required') config.requireTls = true;
  else if (tls === 'optional') config.requireTls = false;
  else if (tls !== null)
    throw new EngineError('INVALID_ARGUMENT', 'starttls= takes "required" or "optional".');
  return config;
}

/** Sends through an SMTP server with nodemailer; failures become MAIL_FAILED saying what to check. */
export class SmtpMailer implements Mailer {
  private transporter: Transporter | undefined;

  constructor(private readonly config: SmtpConfig) {
    if (!Number.isInteger(config.port) || config.port < 1 || config.port > 65535) {
      throw new EngineError('INVALID_ARGUMENT', `SMTP port ${config.port} is not a port number.`);
    }
  }

  describe(): string {
    return `SMTP ${this.config.secure ? 'smtps' : 'smtp'}://${this.config.host}:${this.config.port}`;
  }

  async send(message: MailMessage): Promise<void> {
    try {
      await this.transport().sendMail({
        from: this.config.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
      });
    } catch (e) {
      throw this.explain(e);
    }
  }

  /** Closes pooled connections. */
  close(): void {
    this.transporter?.close();
    this.transporter = undefined;
  }

  private transport(): Transporter {
    if (!this.transporter) {
      // Loaded on first send: most sessions never mail anything.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const nodemailer = require('nodemailer') as typeof import('nodemailer');
      const c = this.config;
      const timeout = c.timeoutMs ?? 15_000;
      const hasAuth = c.user !== undefined;
      this.transporter = nodemailer.createTransport({
        host: c.host,
        port: c.port,
        secure: c.secure,
        requireTLS: !c.secure && (c.requireTls ?? (hasAuth && !isLoopback(c.host))),
        auth: hasAuth ? { user: c.user!, pass: c.password ?? '' } : undefined,
        // SNI carries host names only; an IP literal there is refused by RFC 6066 (and warned about by Node).
        tls: { ...(c.ca ? { ca: c.ca } : {}), ...(net.isIP(c.host) ? {} : { servername: c.host }) },
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout * 2,
        logger: false,
        debug: false,
      });
    }
    return this.transporter;
  }

  private explain(e: unknown): EngineError {
    const err = e as { code?: string; message?: string; responseCode?: number };
    const where = `${this.config.host}:${this.config.port}`;
    const detail = errorMessage(e);
    const code = err.code ?? '';
    const text = `${code} ${detail}`;
    let message: string;
    if (/ECONNREFUSED/.test(text)) {
      message = `Could not send the sign-in code: the mail server ${where} refused the connection (is it running, and is the port right?). Try again once it is reachable.`;
    } else if (code === 'EAUTH' || err.responseCode === 535) {
      message = `Could not send the sign-in code: the mail server ${where} rejected the user name or password. Check the SMTP credentials and try again.`;
    } else if (code === 'ETLS' || /certificate|SSL|TLS|self.signed|wrong version number/i.test(detail)) {
      message = `Could not send the sign-in code: the TLS connection to ${where} failed (${firstLine(detail)}). Check smtp:// (STARTTLS) versus smtps:// (implicit TLS), the port, and the server's certificate, then try again.`;
    } else if (code === 'ETIMEDOUT' || /timeout/i.test(detail)) {
      message = `Could not send the sign-in code: the mail server ${where} did not answer in time. Try again.`;
    } else if (code === 'EDNS' || /ENOTFOUND|EAI_AGAIN/.test(text)) {
      message = `Could not send the sign-in code: the mail server host ${this.config.host} was not found. Check the SMTP URL.`;
    } else if (code === 'EENVELOPE') {
      message = `Could not send the sign-in code: the mail server ${where} refused the sender or recipient (${firstLine(detail)}).`;
    } else {
      message = `Could not send the sign-in code through ${where}: ${firstLine(detail)}. Try again.`;
    }
    return new EngineError('MAIL_FAILED', message, undefined, { cause: e });
  }
}

/** With no SMTP configured: hands each message to `deliver` (the CLI prints it, labelled); writes nothing to disk. */
export class DevelopmentMailer implements Mailer {
  constructor(private readonly deliver: (message: MailMessage) => void | Promise<void>) {}

  describe(): string {
    return 'development delivery (shown locally, not sent)';
  }

  async send(message: MailMessage): Promise<void> {
    await this.deliver({ ...message });
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 200);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || (net.isIP(host) !== 0 && (host.startsWith('127.') || host === '::1'));
}
