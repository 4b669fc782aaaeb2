import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AuthService } from '../../src/engine/auth/auth.js';
import { normalizeEmail } from '../../src/engine/auth/email.js';
import {
  DevelopmentMailer,
  parseSmtpUrl,
  SmtpMailer,
  type MailMessage,
} from '../../src/engine/auth/mailer.js';
import { EngineError, isEngineError } from '../../src/engine/errors.js';
import { MetadataStore, STORE_FILE, STORE_FOLDER } from '../../src/engine/store/metadataStore.js';
import { codeIn, deadPort, startSmtp, testCertificate } from '../support/smtp.js';
import { fixture, openWithAuth, signIn } from '../support/store.js';

const MINUTE = 60_000;
const FROM = 'MicroDataWarehouse <noreply@example.com>';

function codeOf(outbox: MailMessage[]): string {
  return /\b(\d{6})\b/.exec(outbox[outbox.length - 1]!.text)![1]!;
}

async function withClock(t: test.TestContext) {
  const f = fixture();
  t.after(f.cleanup);
  let now = Date.UTC(2026, 0, 1, 9, 0, 0);
  const opened = await openWithAuth(f, { clock: () => now });
  t.after(() => opened.store.close());
  return { ...opened, f, advance: (ms: number) => (now += ms) };
}

test('plain SMTP with a password: the code arrives, signs in, and the first sign-in creates the account', async (t) => {
  const smtp = await startSmtp({ auth: { user: 'mdw', pass: 's3cret' } });
  t.after(() => smtp.close());
  const f = fixture();
  t.after(f.cleanup);
  const store = await MetadataStore.open(f.warehouse, f.keys);
  t.after(() => store.close());
  const mailer = new SmtpMailer(parseSmtpUrl(`smtp://mdw:s3cret@127.0.0.1:${smtp.port}`, FROM));
  t.after(() => mailer.close());
  const auth = new AuthService(store, mailer);

  const request = await auth.requestCode(' Bob@Example.COM ');
  assert.equal(request.email, 'bob@example.com');
  const mail = await smtp.next('bob@example.com');
  assert.match(mail.text ?? '', /expires in 10 minutes/);
  const first = await auth.verifyCode('bob@example.com', codeIn(mail));
  assert.equal(first.created, true);
  assert.match(first.token, /^[A-Za-z0-9_-]{43}$/, '256 bits, base64url');
  assert.equal(first.account.space.length > 0 && /^[A-Za-z0-9_-]+$/.test(first.account.space), true);
  assert.equal(await first.account.email(), 'bob@example.com');

  const other = new AuthService(store, mailer);
  await other.requestCode('carol@example.com');
  const carol = await other.verifyCode('carol@example.com', codeIn(await smtp.next('carol@example.com')));
  assert.notEqual(carol.account.id, first.account.id);
  assert.notEqual(carol.account.space, first.account.space);
});

test('STARTTLS and implicit TLS deliver with the test certificate trusted; an untrusted one fails without burning the limit', async (t) => {
  const { cert } = testCertificate();
  const starttls = await startSmtp({ tls: 'starttls', auth: { user: 'u', pass: 'p' } });
  const implicit = await startSmtp({ tls: 'implicit' });
  t.after(() => starttls.close());
  t.after(() => implicit.close());
  const f = fixture();
  t.after(f.cleanup);
  const store = await MetadataStore.open(f.warehouse, f.keys);
  t.after(() => store.close());

  const untrusted = new SmtpMailer(
    parseSmtpUrl(`smtp://u:p@127.0.0.1:${starttls.port}?starttls=required`, FROM),
  );
  await assert.rejects(
    new AuthService(store, untrusted).requestCode('tls@example.com'),
    (e) => isEngineError(e, 'MAIL_FAILED') && /TLS/.test(e.message) && !e.message.includes(':p@'),
  );
  untrusted.close();

  const trusted = new SmtpMailer({
    ...parseSmtpUrl(`smtp://u:p@127.0.0.1:${starttls.port}?starttls=required`, FROM),
    ca: cert,
  });
  t.after(() => trusted.close());
  await new AuthService(store, trusted).requestCode('tls@example.com');
  const mail = await starttls.next('tls@example.com');
  assert.equal(starttls.secureFlags[0], true, 'upgraded by STARTTLS');
  await new AuthService(store, trusted).verifyCode('tls@example.com', codeIn(mail));

  const smtps = new SmtpMailer({ ...parseSmtpUrl(`smtps://127.0.0.1:${implicit.port}`, FROM), ca: cert });
  t.after(() => smtps.close());
  await new AuthService(store, smtps).requestCode('implicit@example.com');
  await implicit.next('implicit@example.com');
  assert.equal(implicit.secureFlags[0], true);
});

test('a server that is down, or wrong credentials, give clear errors and the user can try again at once', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const store = await MetadataStore.open(f.warehouse, f.keys);
  t.after(() => store.close());
  const port = await deadPort();
  const down = new SmtpMailer(parseSmtpUrl(`smtp://127.0.0.1:${port}`, FROM));
  for (let i = 0; i < 7; i++) {
    await assert.rejects(
      new AuthService(store, down).requestCode('d@example.com'),
      (e) => isEngineError(e, 'MAIL_FAILED') && /refused the connection/.test(e.message),
    );
  }
  const smtp = await startSmtp({ auth: { user: 'mdw', pass: 'right' } });
  t.after(() => smtp.close());
  const wrong = new SmtpMailer(parseSmtpUrl(`smtp://mdw:wrong@127.0.0.1:${smtp.port}`, FROM));
  await assert.rejects(
    new AuthService(store, wrong).requestCode('d@example.com'),
    (e) =>
      isEngineError(e, 'MAIL_FAILED') &&
      /user name or password/.test(e.message) &&
      !e.message.includes('wrong'),
  );
  wrong.close();
  const right = new SmtpMailer(parseSmtpUrl(`smtp://mdw:right@127.0.0.1:${smtp.port}`, FROM));
  t.after(() => right.close());
  await new AuthService(store, right).requestCode('d@example.com');
  assert.equal(smtp.mails.length, 1, 'eight failed sends did not use up the 30-second or hourly limit');
});

test('parseSmtpUrl reads smtp:// and smtps:// URLs and refuses others', () => {
  assert.deepEqual(parseSmtpUrl('smtp://user:p%40ss@mail.example.com:2525', 'a@example.com'), {
    host: 'mail.example.com',
    port: 2525,
    secure: false,
    from: 'a@example.com',
    user: 'user',
    password: 'p@ss',
  });
  const s = parseSmtpUrl('smtps://mail.example.com', 'a@example.com');
  assert.equal(s.secure, true);
  assert.equal(s.port, 465);
  assert.equal(parseSmtpUrl('smtp://h.example.com', 'a@example.com').port, 587);
  assert.equal(parseSmtpUrl('smtp://h.example.com?starttls=required', 'a@example.com').requireTls, true);
  for (const bad of ['http://h', 'not a url', 'smtp://h?starttls=maybe']) {
    assert.throws(
      () => parseSmtpUrl(bad, 'a@example.com'),
      (e) => isEngineError(e, 'INVALID_ARGUMENT'),
    );
  }
  assert.throws(
    () => parseSmtpUrl('smtp://h', ''),
    (e) => isEngineError(e, 'INVALID_ARGUMENT'),
  );
});

test('malformed addresses are refused before anything is sent or stored', async (t) => {
  const { auth, outbox, f } = await withClock(t);
  const file = path.join(f.warehouse, STORE_FOLDER, STORE_FILE);
  const before = fs.readFileSync(file);
  for (const bad of [
    '',
    'plain',
    '@example.com',
    'a@',
    'a@b',
    'a b@example.com',
    'a@exa mple.com',
    'a..b@example.com',
    'a@example.com\r\nBcc: x@evil.com',
    `${'x'.repeat(65)}@example.com`,
    'a@-example.com',
    'a@example.123',
  ]) {
    await assert.rejects(
      auth.requestCode(bad),
      (e) => isEngineError(e, 'AUTH_EMAIL_INVALID'),
      JSON.stringify(bad),
    );
  }
  assert.equal(outbox.length, 0);
  assert.ok(fs.readFileSync(file).equals(before));
  assert.equal(normalizeEmail('  First.Last+tag@Sub.Example.org '), 'first.last+tag@sub.example.org');
});

test('five wrong codes invalidate the code; the right one no longer works afterwards', async (t) => {
  const { auth, outbox } = await withClock(t);
  await auth.requestCode('brute@example.com');
  const code = codeOf(outbox);
  const wrong = code === '000000' ? '111111' : '000000';
  for (let i = 1; i <= 4; i++) {
    await assert.rejects(
      auth.verifyCode('brute@example.com', i === 2 ? 'abc' : wrong),
      (e) => isEngineError(e, 'AUTH_CODE_WRONG') && e.message.includes(`${5 - i} tr`),
    );
  }
  await assert.rejects(
    auth.verifyCode('brute@example.com', wrong),
    (e) => isEngineError(e, 'AUTH_CODE_WRONG') && /no longer works/.test(e.message),
  );
  await assert.rejects(auth.verifyCode('brute@example.com', code), (e) =>
    isEngineError(e, 'AUTH_CODE_EXPIRED'),
  );
});

test('codes expire after 10 minutes and work once; a new code replaces the old one', async (t) => {
  const { auth, outbox, advance } = await withClock(t);
  await auth.requestCode('e@example.com');
  const first = codeOf(outbox);
  advance(10 * MINUTE);
  await assert.rejects(auth.verifyCode('e@example.com', first), (e) => isEngineError(e, 'AUTH_CODE_EXPIRED'));

  await auth.requestCode('e@example.com');
  const second = codeOf(outbox);
  advance(9 * MINUTE);
  const signIn = await auth.verifyCode('e@example.com', second.slice(0, 3) + ' ' + second.slice(3));
  assert.equal(signIn.created, true);
  await assert.rejects(auth.verifyCode('e@example.com', second), (e) =>
    isEngineError(e, 'AUTH_CODE_EXPIRED'),
  );

  advance(MINUTE);
  await auth.requestCode('e@example.com');
  const third = codeOf(outbox);
  advance(31_000);
  await auth.requestCode('e@example.com');
  const fourth = codeOf(outbox);
  if (third !== fourth) {
    await assert.rejects(auth.verifyCode('e@example.com', third), (e) => isEngineError(e, 'AUTH_CODE_WRONG'));
  }
  const again = await auth.verifyCode('e@example.com', fourth);
  assert.equal(again.created, false);
  assert.equal(again.account.id, signIn.account.id);
});

test('a new code no sooner than 30 s after the last and at most 5 per hour per address', async (t) => {
  const { auth, outbox, advance } = await withClock(t);
  await auth.requestCode('r@example.com');
  await assert.rejects(
    auth.requestCode('r@example.com'),
    (e) => isEngineError(e, 'AUTH_RATE_LIMITED') && /30 seconds/.test(e.message),
  );
  advance(29_000);
  await assert.rejects(
    auth.requestCode('r@example.com'),
    (e) => isEngineError(e, 'AUTH_RATE_LIMITED') && /in 1 second\b/.test(e.message),
  );
  await auth.requestCode('other@example.com');
  for (let i = 2; i <= 5; i++) {
    advance(31_000);
    await auth.requestCode('r@example.com');
  }
  advance(31_000);
  await assert.rejects(
    auth.requestCode('r@example.com'),
    (e) => isEngineError(e, 'AUTH_RATE_LIMITED') && /5 codes/.test(e.message),
  );
  advance(60 * MINUTE - 4 * 31_000 - 31_000 - 29_000);
  await auth.requestCode('r@example.com');
  assert.equal(outbox.filter((m) => m.to === 'r@example.com').length, 6);
});

test('sessions expire after 30 days, end on sign-out, and "sign out everywhere" ends them all', async (t) => {
  const { auth, outbox, advance } = await withClock(t);
  const one = await signIn(auth, outbox, 's@example.com');
  advance(31_000);
  const two = await signIn(auth, outbox, 's@example.com');
  advance(31_000);
  const three = await signIn(auth, outbox, 's@example.com');
  assert.equal(one.account.id, two.account.id);

  await auth.signOut(one.token);
  await assert.rejects(one.account.worksheets.children(), (e) => isEngineError(e, 'NOT_SIGNED_IN'));
  await assert.rejects(auth.resume(one.token), (e) => isEngineError(e, 'NOT_SIGNED_IN'));
  assert.deepEqual(await two.account.worksheets.children(), []);

  assert.equal(await two.account.signOutEverywhere(), 2);
  for (const s of [two, three]) {
    await assert.rejects(s.account.history.list(), (e) => isEngineError(e, 'NOT_SIGNED_IN'));
    await assert.rejects(auth.resume(s.token), (e) => isEngineError(e, 'NOT_SIGNED_IN'));
  }

  advance(MINUTE);
  const four = await signIn(auth, outbox, 's@example.com');
  advance(30 * 24 * 60 * MINUTE - 1);
  await four.account.worksheets.children();
  advance(1);
  await assert.rejects(four.account.worksheets.children(), (e) => isEngineError(e, 'NOT_SIGNED_IN'));
  await assert.rejects(auth.resume('not-a-token'), (e) => isEngineError(e, 'NOT_SIGNED_IN'));
  await assert.rejects(auth.resume('A'.repeat(43)), (e) => isEngineError(e, 'NOT_SIGNED_IN'));
});

test('codes, tokens and addresses appear in the decrypted store only as keyed hashes or sealed', async (t) => {
  const { store, auth, outbox } = await withClock(t);
  await auth.requestCode('hidden@example.com');
  const code = codeOf(outbox);
  const { token } = await auth.verifyCode('hidden@example.com', code);
  const state = JSON.stringify(
    ['meta', 'account', 'email', 'code', 'send', 'session'].map((table) => [...store.log.entries(table)]),
  );
  for (const secret of [code, token, 'hidden@example.com', 'hidden'])
    assert.ok(!state.includes(secret), secret);
});

test('development delivery hands the message to the callback only', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const store = await MetadataStore.open(f.warehouse, f.keys);
  t.after(() => store.close());
  const shown: MailMessage[] = [];
  const mailer = new DevelopmentMailer((m) => void shown.push(m));
  assert.match(mailer.describe(), /development/);
  await new AuthService(store, mailer).requestCode('dev@example.com');
  assert.equal(shown.length, 1);
  assert.equal(shown[0]!.to, 'dev@example.com');
  assert.match(shown[0]!.text, /\b\d{6}\b/);
});

test('a used, an expired and a never-sent code get the same answer, so it does not tell who signed in', async (t) => {
  const { auth, outbox, advance } = await withClock(t);
  const answer = async (email: string, code: string): Promise<{ code: string; message: string }> => {
    try {
      await auth.verifyCode(email, code);
    } catch (e) {
      assert.ok(e instanceof EngineError);
      return { code: e.code, message: e.message };
    }
    assert.fail(`${email} signed in`);
  };
  await auth.requestCode('used@example.com');
  const used = codeOf(outbox);
  await auth.verifyCode('used@example.com', used);
  const afterUse = await answer('used@example.com', used);

  await auth.requestCode('late@example.com');
  const late = codeOf(outbox);
  advance(10 * MINUTE);
  const afterExpiry = await answer('late@example.com', late);
  const neverSent = await answer('nobody@example.com', '123456');

  assert.deepEqual(afterUse, neverSent);
  assert.deepEqual(afterExpiry, neverSent);
  assert.equal(neverSent.code, 'AUTH_CODE_EXPIRED');
  assert.match(neverSent.message, /no valid code/);
});
