import { EngineError } from '../errors.js';

const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * Checks an email address (plain ASCII `local@domain.tld`, at most 254 characters) and returns it trimmed and
 * lower-cased, the form used for lookups. AUTH_EMAIL_INVALID otherwise, before anything is stored or sent.
 */
export function normalizeEmail(input: string): string {
  const email = typeof input === 'string' ? input.trim().toLowerCase() : '';
  const refuse = (why: string) =>
    new EngineError(
      'AUTH_EMAIL_INVALID',
      `"${String(input).slice(0, 80)}" is not a usable email address: ${why}.`,
    );
  if (email.length === 0) throw refuse('it is empty');
  if (email.length > 254) throw refuse('it is longer than 254 characters');
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) throw refuse('it needs the form name@example.com');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local.length > 64 || !LOCAL.test(local))
    throw refuse('the part before "@" has characters or dots that are not allowed');
  const labels = domain.split('.');
  if (
    labels.length < 2 ||
    !labels.every((l) => LABEL.test(l)) ||
    /^[0-9]+$/.test(labels[labels.length - 1]!)
  ) {
    throw refuse('the domain after "@" is not a valid domain name like example.com');
  }
  return email;
}
