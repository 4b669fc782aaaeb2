import * as vscode from 'vscode';
import { DevelopmentMailer, SmtpMailer, type MailMessage, type Mailer } from '../../engine/auth/mailer.js';
import { EngineError } from '../../engine/errors.js';
import { readSmtpSettings } from '../config.js';

/** SecretStorage key of the SMTP password. */
export const SMTP_PASSWORD_SECRET = 'microDataWarehouse.smtp.password';

/** A mailer for one sign-in attempt, and where the message went. */
export interface Delivery {
  mailer: Mailer;
  /** Set for development delivery: the messages handed to the local user instead of being mailed. */
  developmentInbox?: MailMessage[];
}

/**
 * Builds the mailer from the `smtp.*` settings and the password in SecretStorage; with no host set,
 * development delivery keeps the message for the sign-in prompt (nothing is written anywhere).
 */
export async function createDelivery(secrets: vscode.SecretStorage): Promise<Delivery> {
  const s = readSmtpSettings();
  if (!s.host) {
    const inbox: MailMessage[] = [];
    return { mailer: new DevelopmentMailer((m) => void inbox.push(m)), developmentInbox: inbox };
  }
  const from = s.from ?? (s.user && s.user.includes('@') ? s.user : undefined);
  if (!from) {
    throw new EngineError(
      'INVALID_ARGUMENT',
      'Set the sender address (setting microDataWarehouse.smtp.from, e.g. noreply@example.com) to mail sign-in codes.',
    );
  }
  const password = s.user ? await secrets.get(SMTP_PASSWORD_SECRET) : undefined;
  const secure = s.security === 'tls';
  return {
    mailer: new SmtpMailer({
      host: s.host,
      port: s.port || (secure ? 465 : 587),
      secure,
      requireTls: s.security === 'starttls',
      from,
      ...(s.user ? { user: s.user } : {}),
      ...(password ? { password } : {}),
    }),
  };
}

/** The 6-digit code of a sign-in message (development delivery shows it in the prompt). */
export function codeOf(message: MailMessage): string | undefined {
  return /\b(\d{6})\b/.exec(message.subject)?.[1] ?? /\b(\d{6})\b/.exec(message.text)?.[1];
}
