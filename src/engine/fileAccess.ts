import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { defaultConfigDir } from './crypto/keys.js';
import { EngineError, errorMessage } from './errors.js';
import { quoteString } from './names.js';

/** A folder asked for that SQL may not use, and why (it contains or lies in a protected place). */
export interface RefusedFolder {
  folder: string;
  reason: string;
}

/** The file-access part of the warehouse options. */
export interface FileAccessOptions {
  /**
   * Folders where the space's SQL may read and write files, besides the space's own folder. A folder that contains
   * (or lies in) the warehouse folder, the CLI configuration folder, the key file or a `protectedPaths` entry is
   * left out and listed in {@link FileAccess.refused}. Default: none.
   */
  allowedFolders?: readonly string[];
  /** More files or folders SQL must never reach (e.g. the editor's secret storage). */
  protectedPaths?: readonly string[];
  /** How a user allows another folder, as the end of a sentence ("add it to the setting …"). */
  allowHint?: string;
}

const DEFAULT_ALLOW_HINT = 'open the warehouse with that folder in its allowed folders';
const caseInsensitive = process.platform === 'win32' || process.platform === 'darwin';

/**
 * Which files a space's SQL may touch. DuckDB enforces it (allowed_directories, enable_external_access = false,
 * lock_configuration); this class computes the lists, checks the files the engine itself opens for the user
 * (Import File…, export), and turns DuckDB's refusals into FILE_NOT_ALLOWED messages that say how to allow more.
 */
export class FileAccess {
  private constructor(
    /** The user's allowed folders that were accepted. */
    readonly userFolders: readonly string[],
    /** The engine's own folders SQL may use besides the space (a read-only opener's staging folder). */
    private readonly engineFolders: readonly string[],
    /** The user's folders that were asked for but left out. */
    readonly refused: readonly RefusedFolder[],
    /** What SQL may never reach: the warehouse (except the space), config folder, key file, protected paths. */
    readonly protectedPaths: readonly string[],
    private readonly spaceDir: string,
    private readonly allowHint: string,
  ) {}

  /** The folders DuckDB allows: the space's own folder, the engine's, then the user's allowed folders. */
  get folders(): readonly string[] {
    return [this.spaceDir, ...this.engineFolders, ...this.userFolders];
  }

  /** Computes the allowed and protected lists for space `spaceDir` of the warehouse in `root`. */
  static create(
    root: string,
    spaceDir: string,
    options: FileAccessOptions = {},
    /** Folders of the engine's own (a staging folder) that SQL may use too. */
    engineFolders: readonly string[] = [],
  ): FileAccess {
    const protectedPaths = protectedPathsFor(root, options.protectedPaths ?? []);
    const { allowed, refused } = checkAllowedFolders(options.allowedFolders ?? [], protectedPaths, spaceDir);
    return new FileAccess(
      allowed,
      engineFolders,
      refused,
      protectedPaths,
      spaceDir,
      options.allowHint ?? DEFAULT_ALLOW_HINT,
    );
  }

  /**
   * Locks the instance `c` belongs to: only the allowed folders (and its temp folder) can be read or written by
   * any later statement, external access cannot be turned back on and no configuration option can change.
   * Everything the instance needs from elsewhere must be attached or loaded before.
   */
  async lock(c: DuckDBConnection): Promise<void> {
    const dirs = new Set<string>();
    for (const folder of this.folders) {
      for (const form of [folder, realOrSelf(folder)]) dirs.add(withTrailingSeparator(form));
    }
    await c.run(`SET allowed_directories = [${[...dirs].map(quoteString).join(', ')}]`);
    await c.run('SET enable_external_access = false');
    await c.run('SET lock_configuration = true');
  }

  /**
   * Throws FILE_NOT_ALLOWED when the engine is asked to read or write `file` for the user (Import File…, export)
   * and it lies in a protected place outside the space's own folder: such files are never opened on anyone's
   * behalf, whatever the allowed folders.
   */
  assertNotProtected(file: string, action: string): void {
    const target = path.resolve(file);
    const forms = [
      target,
      realOrSelf(target),
      path.join(realOrSelf(path.dirname(target)), path.basename(target)),
    ];
    // The space's own folder is open to its SQL anyway.
    if (forms.every((f) => inside(this.spaceDir, f))) return;
    for (const p of this.protectedPaths) {
      if (forms.some((f) => inside(p, f))) {
        throw new EngineError(
          'FILE_NOT_ALLOWED',
          `Cannot ${action} ${target}: it is inside ${p}, which holds the warehouse's own files or keys.`,
        );
      }
    }
  }

  /**
   * The EngineError for a DuckDB error raised by SQL, when it is a refusal of the sandbox: FILE_NOT_ALLOWED (a file
   * outside the allowed folders) or SETTING_LOCKED (a configuration option); undefined for any other error.
   */
  refusal(e: unknown): EngineError | undefined {
    const message = errorMessage(e).replace(/^Failed to extract statements: /, '');
    if (
      /^Invalid Input Error: Cannot change configuration option "([^"]+)" - the configuration has been locked/.test(
        message,
      )
    ) {
      const option = /"([^"]+)"/.exec(message)![1];
      return new EngineError(
        'SETTING_LOCKED',
        `DuckDB's option ${option} cannot be changed: the warehouse fixes DuckDB's settings when it opens (they are part of the boundary that keeps SQL inside its allowed folders). USE, SET search_path and SET VARIABLE still work.`,
        undefined,
        { cause: e },
      );
    }
    if (!/^Permission Error/.test(message)) return undefined;
    const file = /Cannot access (?:file|directory) "([^"]*)"/.exec(message)?.[1];
    const where = `SQL may read and write files only in ${this.describeFolders()}`;
    const refused = this.refused.length
      ? ` (${this.refused.map((r) => `${r.folder} is not allowed: ${r.reason}`).join('; ')})`
      : '';
    return new EngineError(
      'FILE_NOT_ALLOWED',
      file !== undefined
        ? `Cannot open "${file}": ${where}${refused}. To use another folder, ${this.allowHint}.`
        : `Refused: ${message.replace(/^Permission Error: /, '').split('\n')[0]}. ${where}${refused}.`,
      undefined,
      { cause: e },
    );
  }

  private describeFolders(): string {
    const user = this.userFolders;
    const own = `this account's own folder (${this.spaceDir})`;
    return user.length ? `${user.join(', ')} and ${own}` : `${own}; no other folder is allowed`;
  }
}

/**
 * Splits `folders` into those SQL may use and those refused because they contain, equal or lie in a protected
 * path. Folders inside the space's own folder are dropped silently (already allowed). Relative folders resolve
 * against the working directory.
 */
export function checkAllowedFolders(
  folders: readonly string[],
  protectedPaths: readonly string[],
  spaceDir?: string,
): { allowed: string[]; refused: RefusedFolder[] } {
  const allowed: string[] = [];
  const refused: RefusedFolder[] = [];
  for (const given of folders) {
    if (typeof given !== 'string' || given.trim() === '') continue;
    const folder = path.resolve(given.trim());
    const forms = [folder, realOrSelf(folder)];
    if (spaceDir !== undefined && forms.some((f) => inside(spaceDir, f))) continue;
    const hit = protectedPaths.find((p) => forms.some((f) => inside(f, p) || inside(p, f)));
    if (hit !== undefined) {
      refused.push({
        folder,
        reason:
          inside(hit, folder) || inside(hit, realOrSelf(folder))
            ? `it is inside ${hit}`
            : `it contains ${hit}`,
      });
    } else if (!allowed.includes(folder)) {
      allowed.push(folder);
    }
  }
  return { allowed, refused };
}

/** What no allowed folder may contain or lie in: the warehouse folder, the CLI config folder and key file, `extra`. */
export function protectedPathsFor(root: string, extra: readonly string[] = []): string[] {
  const list = [path.resolve(root), defaultConfigDir(process.env)];
  if (process.env.MDW_KEY_FILE) list.push(path.resolve(process.env.MDW_KEY_FILE));
  for (const p of extra) if (p) list.push(path.resolve(p));
  const all = new Set<string>();
  for (const p of list) {
    all.add(p);
    all.add(realOrSelf(p));
  }
  return [...all];
}

/** True when `candidate` is `dir` or lies inside it (by path, case-insensitively where the file system is). */
export function inside(dir: string, candidate: string): boolean {
  const norm = (p: string): string => (caseInsensitive ? p.toLowerCase() : p);
  const rel = path.relative(norm(dir), norm(candidate));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function realOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

function withTrailingSeparator(p: string): string {
  return p.endsWith(path.sep) ? p : p + path.sep;
}
