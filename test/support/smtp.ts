import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

/** A PEM key and self-signed certificate for 127.0.0.1 and localhost. */
export interface TestCertificate {
  key: string;
  cert: string;
}

let certificate: TestCertificate | undefined;

/** Makes (once per process) a throwaway self-signed certificate with the openssl command line. */
export function testCertificate(): TestCertificate {
  if (certificate) return certificate;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-cert-'));
  try {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    certificate = { key: fs.readFileSync(key, 'utf8'), cert: fs.readFileSync(cert, 'utf8') };
    return certificate;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Options for {@link startSmtp}. */
export interface TestSmtpOptions {
  /** none: plain only; starttls: plain upgraded by STARTTLS; implicit: TLS from the first byte. */
  tls?: 'none' | 'starttls' | 'implicit';
  /** Require these credentials. */
  auth?: { user: string; pass: string };
}

/** A real SMTP server on 127.0.0.1 that keeps every message it receives, parsed. */
export interface TestSmtp {
  port: number;
  mails: ParsedMail[];
  /** Whether each received message came over TLS. */
  secureFlags: boolean[];
  /** Resolves with the next message for `to` (or one already received and not yet taken). */
  next(to: string, timeoutMs?: number): Promise<ParsedMail>;
  close(): Promise<void>;
}

/** Starts an SMTP server on 127.0.0.1 on a free port. */
export async function startSmtp(options: TestSmtpOptions = {}): Promise<TestSmtp> {
  const mode = options.tls ?? 'none';
  const mails: ParsedMail[] = [];
  const secureFlags: boolean[] = [];
  const taken = new Set<ParsedMail>();
  const waiters: Array<() => void> = [];
  const config: SMTPServerOptions = {
    secure: mode === 'implicit',
    disabledCommands: mode === 'none' ? ['STARTTLS'] : [],
    authOptional: !options.auth,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) {
        callback(null, { user: auth.username });
      } else {
        callback(new Error('Invalid username or password'));
      }
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          mails.push(mail);
          secureFlags.push(session.secure);
          for (const w of waiters.splice(0)) w();
          callback();
        })
        .catch((e: Error) => callback(e));
    },
  };
  if (mode !== 'none') Object.assign(config, testCertificate());
  const server = new SMTPServer(config);
  server.on('error', () => {
    // client disconnects in failure tests surface here; the tests assert on the client side
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as net.AddressInfo).port;
  return {
    port,
    mails,
    secureFlags,
    async next(to, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const mail = mails.find((m) => !taken.has(m) && addresses(m).includes(to.toLowerCase()));
        if (mail) {
          taken.add(mail);
          return mail;
        }
        const wait = deadline - Date.now();
        if (wait <= 0) throw new Error(`no mail for ${to} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, wait);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function addresses(mail: ParsedMail): string[] {
  const to = Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : [];
  return to.flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase()));
}

/** The 6-digit code in a sign-in message. */
export function codeIn(mail: ParsedMail): string {
  const match = /\b(\d{6})\b/.exec(mail.text ?? '');
  if (!match) throw new Error(`no code in: ${mail.text}`);
  return match[1]!;
}

/** A port on 127.0.0.1 where nothing listens (bound, then released). */
export async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
