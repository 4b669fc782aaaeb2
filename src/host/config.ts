import * as vscode from 'vscode';
import type { EncryptionMode } from '../engine/encryption.js';

/** Section of every setting in package.json. */
const SECTION = 'microDataWarehouse';

/** Setting keys (relative to the section); each is declared in package.json. */
export const SETTINGS = {
  warehouseFolder: 'warehouse.folder',
  memoryLimit: 'engine.memoryLimit',
  threads: 'engine.threads',
  pageSize: 'results.pageSize',
  encryption: 'warehouse.encryption',
  allowedFolders: 'files.allowedFolders',
  smtpHost: 'smtp.host',
  smtpPort: 'smtp.port',
  smtpSecurity: 'smtp.security',
  smtpUser: 'smtp.user',
  smtpFrom: 'smtp.from',
} as const;

/** The extension's settings, read once per call so a change applies to the next use. */
export interface Settings {
  /** Absolute path of the warehouse folder, or undefined for the default in global storage. */
  warehouseFolder: string | undefined;
  memoryLimit: string | undefined;
  threads: number | undefined;
  pageSize: number;
  /** What new databases get when DuckDB cannot write encrypted files (see docs/dbcrypt.md). */
  encryption: EncryptionMode;
  /** Folders SQL may read and write files in; undefined: the open workspace folders (the default). */
  allowedFolders: string[] | undefined;
}

/** Reads the settings, turning empty values into "use the default". */
export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const folder = c.get<string>(SETTINGS.warehouseFolder, '').trim();
  const memory = c.get<string>(SETTINGS.memoryLimit, '').trim();
  const threads = c.get<number>(SETTINGS.threads, 0);
  const pageSize = c.get<number>(SETTINGS.pageSize, 1000);
  const encryption = c.get<string>(SETTINGS.encryption, 'whenAvailable');
  const allowed = c.get<unknown>(SETTINGS.allowedFolders);
  return {
    warehouseFolder: folder ? expandHome(folder) : undefined,
    memoryLimit: memory || undefined,
    threads: Number.isInteger(threads) && threads > 0 ? threads : undefined,
    pageSize: Number.isInteger(pageSize) && pageSize > 0 ? Math.min(pageSize, 100_000) : 1000,
    encryption: encryption === 'required' || encryption === 'off' ? encryption : 'whenAvailable',
    allowedFolders: Array.isArray(allowed)
      ? allowed
          .filter((f): f is string => typeof f === 'string' && f.trim() !== '')
          .map((f) => expandHome(f.trim()))
      : undefined,
  };
}

/** How the SMTP connection is protected: STARTTLS required, TLS from the first byte, or none required. */
export type SmtpSecurity = 'starttls' | 'tls' | 'none';

/** Where sign-in codes are mailed; `host` undefined means development delivery. The password is a secret, not a setting. */
export interface SmtpSettings {
  host: string | undefined;
  /** 0: the default of `security` (465 for tls, else 587). */
  port: number;
  security: SmtpSecurity;
  user: string | undefined;
  from: string | undefined;
}

/**
 * Reads the `smtp.*` settings from the user level only (they are `application`-scoped): a workspace's
 * settings never choose where sign-in codes are mailed.
 */
export function readSmtpSettings(): SmtpSettings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const user = <T>(key: string, fallback: T): T => {
    const value = c.inspect<T>(key)?.globalValue;
    return value === undefined || value === null || typeof value !== typeof fallback ? fallback : value;
  };
  const security = user<string>(SETTINGS.smtpSecurity, 'starttls');
  const port = user<number>(SETTINGS.smtpPort, 0);
  return {
    host: user<string>(SETTINGS.smtpHost, '').trim() || undefined,
    port: Number.isInteger(port) && port > 0 && port < 65536 ? port : 0,
    security: security === 'tls' || security === 'none' ? security : 'starttls',
    user: user<string>(SETTINGS.smtpUser, '').trim() || undefined,
    from: user<string>(SETTINGS.smtpFrom, '').trim() || undefined,
  };
}

/** True when `event` touches one of the settings that shape how the warehouse is opened. */
export function affectsWarehouse(event: vscode.ConfigurationChangeEvent): boolean {
  // pageSize is read when a session opens, so it needs no reopen.
  return [
    SETTINGS.warehouseFolder,
    SETTINGS.memoryLimit,
    SETTINGS.threads,
    SETTINGS.encryption,
    SETTINGS.allowedFolders,
  ].some((k) => event.affectsConfiguration(`${SECTION}.${k}`));
}

function expandHome(folder: string): string {
  const home = process.env.HOME ?? process.env.USERPROFILE;
  if (home && (folder === '~' || folder.startsWith('~/'))) return home + folder.slice(1);
  return folder;
}
