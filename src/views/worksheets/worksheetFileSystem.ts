import * as vscode from 'vscode';
import { errorLogText, isEngineError } from '../../engine/errors.js';
import type { Account } from '../../engine/store/account.js';
import type { ExternalChange } from '../../engine/store/metadataStore.js';
import { T } from '../../engine/store/records.js';
import type { DeleteReport, TreeNode } from '../../engine/store/worksheets.js';
import type { AccountManager } from '../../host/accounts/accountManager.js';
import type { ComponentLogger, Logger } from '../../host/logger.js';

/** URI scheme of worksheets: `mdw://<account tag>/Reports/2026/revenue.mdw.sql`. */
export const WORKSHEET_SCHEME = 'mdw';
/** Ending of a worksheet's file name; the editor for worksheets is chosen by it. */
export const WORKSHEET_SUFFIX = '.mdw.sql';

/** The URI of a node at `path` (`/Reports/revenue`; a worksheet gets the `.mdw.sql` ending). */
export function worksheetUri(tag: string, path: string, kind: TreeNode['kind']): vscode.Uri {
  const clean = path === '/' ? '/' : path;
  return vscode.Uri.from({
    scheme: WORKSHEET_SCHEME,
    authority: tag,
    path: kind === 'worksheet' ? `${clean}${WORKSHEET_SUFFIX}` : clean,
  });
}

/** Where a URI points in the signed-in account's tree (node null: the root). */
export interface Located {
  account: Account;
  node: TreeNode | null;
  path: string;
}

/** Where a node was at the last look (its URI as a string). */
interface Seen {
  uri: string;
  kind: TreeNode['kind'];
}

const decoder = new TextDecoder('utf-8', { fatal: false });
const encoder = new TextEncoder();

/**
 * The `mdw:` file system: the signed-in account's folders and worksheets as directories and files, so
 * worksheets open as ordinary text documents (dirty state, undo, hot exit, save conflicts). Every save
 * writes the encrypted store and keeps a revision. URIs of another account (another tag) are refused.
 * Changes another process commits (another window, the `mdw` command line) are announced as file
 * events too, so open documents reload (or, when dirty, report the conflict on save) and the tree follows.
 */
export class WorksheetFileSystem implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;
  /** The last error thrown to VS Code, so a command can show the store's own message. */
  lastError: unknown;
  /** The signed-in account's nodes by id, as of the last look (compared when another process changes them). */
  private seen: { tag: string; nodes: Map<string, Seen> } | undefined;
  /** External changes, handled one at a time. */
  private following: Promise<void> = Promise.resolve();

  private constructor(
    private readonly manager: AccountManager,
    private readonly log: ComponentLogger,
  ) {}

  static register(
    context: vscode.ExtensionContext,
    logger: Logger,
    manager: AccountManager,
  ): WorksheetFileSystem {
    const fs = new WorksheetFileSystem(manager, logger.component('worksheets-fs'));
    context.subscriptions.push(
      fs,
      vscode.workspace.registerFileSystemProvider(WORKSHEET_SCHEME, fs, { isCaseSensitive: false }),
      manager.onDidChangeAccount(() => fs.follow(() => fs.look())),
      manager.onDidChangeStore((change) => fs.follow(() => fs.externalChange(change))),
    );
    fs.follow(() => fs.look());
    return fs;
  }

  /** The node a URI points to; FileNotFound when absent, NoPermissions when its account is not signed in. */
  async locate(uri: vscode.Uri): Promise<Located> {
    return this.guard(uri, () => this.find(uri));
  }

  /** Tells VS Code (and the tree) that nodes changed. */
  notify(events: vscode.FileChangeEvent[]): void {
    if (!events.length) return;
    this.changed.fire(events);
    // Where things are now, for the next change made elsewhere (cheap: the tree index is in memory).
    this.follow(() => this.look());
  }

  watch(): vscode.Disposable {
    // Every change is announced through onDidChangeFile: this window's own as it makes them, other
    // processes' when the store's watcher reports them (see externalChange).
    return new vscode.Disposable(() => undefined);
  }

  stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    return this.guard(uri, async () => {
      const { account, node } = await this.find(uri);
      if (!node) return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0 };
      if (node.kind === 'folder') {
        return { type: vscode.FileType.Directory, ctime: node.createdAt, mtime: node.updatedAt, size: 0 };
      }
      const sheet = await account.worksheets.open(node.id);
      return {
        type: vscode.FileType.File,
        ctime: sheet.createdAt,
        mtime: sheet.updatedAt,
        size: encoder.encode(sheet.sql).byteLength,
      };
    });
  }

  readDirectory(uri: vscode.Uri): Promise<[string, vscode.FileType][]> {
    return this.guard(uri, async () => {
      const { account, node } = await this.folderAt(uri);
      const children = await account.worksheets.children(node?.id ?? null);
      return children.map((c): [string, vscode.FileType] =>
        c.kind === 'folder'
          ? [c.name, vscode.FileType.Directory]
          : [c.name + WORKSHEET_SUFFIX, vscode.FileType.File],
      );
    });
  }

  createDirectory(uri: vscode.Uri): Promise<void> {
    return this.guard(uri, async () => {
      const { account, node } = await this.folderAt(parentOf(uri));
      await account.worksheets.createFolder(node?.id ?? null, baseName(uri));
      this.notify([{ type: vscode.FileChangeType.Created, uri }]);
    });
  }

  readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return this.guard(uri, async () => {
      const { account, node } = await this.find(uri);
      if (!node || node.kind !== 'worksheet') throw vscode.FileSystemError.FileIsADirectory(uri);
      return encoder.encode((await account.worksheets.open(node.id)).sql);
    });
  }

  writeFile(
    uri: vscode.Uri,
    content: Uint8Array,
    options: { create: boolean; overwrite: boolean },
  ): Promise<void> {
    return this.guard(uri, async () => {
      const sql = decoder.decode(content);
      const existing = await this.find(uri).catch((e) => {
        if (e instanceof vscode.FileSystemError && e.code === 'FileNotFound') return undefined;
        throw e;
      });
      if (existing?.node) {
        if (existing.node.kind !== 'worksheet') throw vscode.FileSystemError.FileIsADirectory(uri);
        if (!options.overwrite) throw vscode.FileSystemError.FileExists(uri);
        await existing.account.worksheets.save(existing.node.id, { sql });
        this.notify([{ type: vscode.FileChangeType.Changed, uri }]);
        return;
      }
      if (!options.create) throw vscode.FileSystemError.FileNotFound(uri);
      const name = worksheetName(uri);
      const { account, node: parent } = await this.folderAt(parentOf(uri));
      await account.worksheets.createWorksheet(parent?.id ?? null, name, { sql });
      this.notify([{ type: vscode.FileChangeType.Created, uri }]);
    });
  }

  delete(uri: vscode.Uri, options: { recursive: boolean }): Promise<void> {
    return this.guard(uri, async () => {
      await this.deleteNode(uri, options);
    });
  }

  /** Deletes a node (a folder with everything below it when `recursive`) and reports what went. */
  async deleteNode(
    uri: vscode.Uri,
    options: { recursive: boolean } = { recursive: true },
  ): Promise<DeleteReport> {
    return this.guard(uri, async () => {
      const { account, node } = await this.find(uri);
      if (!node) throw vscode.FileSystemError.NoPermissions('The root folder cannot be deleted.');
      if (
        node.kind === 'folder' &&
        !options.recursive &&
        (await account.worksheets.children(node.id)).length > 0
      ) {
        throw vscode.FileSystemError.NoPermissions(`The folder "${node.name}" is not empty.`);
      }
      const report = await account.worksheets.delete(node.id);
      this.notify([{ type: vscode.FileChangeType.Deleted, uri }]);
      return report;
    });
  }

  rename(oldUri: vscode.Uri, newUri: vscode.Uri, options: { overwrite: boolean }): Promise<void> {
    return this.guard(oldUri, async () => {
      const { account, node } = await this.find(oldUri);
      if (!node) throw vscode.FileSystemError.NoPermissions('The root folder cannot be moved.');
      if (newUri.authority !== oldUri.authority) {
        throw vscode.FileSystemError.NoPermissions('Worksheets cannot move between accounts.');
      }
      const name = node.kind === 'worksheet' ? worksheetName(newUri) : baseName(newUri);
      const { node: parent } = await this.folderAt(parentOf(newUri));
      const target = await this.find(newUri).catch(() => undefined);
      if (target?.node && target.node.id !== node.id) {
        if (!options.overwrite) throw vscode.FileSystemError.FileExists(newUri);
        await account.worksheets.delete(target.node.id);
      }
      const parentId = parent?.id ?? null;
      if (parentId !== node.parentId) await account.worksheets.move(node.id, parentId);
      if (name !== node.name) await account.worksheets.rename(node.id, name);
      this.notify([
        { type: vscode.FileChangeType.Deleted, uri: oldUri },
        { type: vscode.FileChangeType.Created, uri: newUri },
      ]);
    });
  }

  dispose(): void {
    this.changed.dispose();
  }

  private follow(step: () => Promise<unknown>): void {
    this.following = this.following.then(step).then(
      () => undefined,
      (e: unknown) => {
        this.manager.noticeError(e);
        this.log.warn(`following a change of the store made elsewhere failed: ${errorLogText(e)}`);
      },
    );
  }

  /** The signed-in account's nodes now (undefined when signed out): where each is, for the next external change. */
  private async look(): Promise<Map<string, Seen> | undefined> {
    const current = await this.manager.ready();
    if (!current) {
      this.seen = undefined;
      return undefined;
    }
    const nodes = new Map<string, Seen>();
    for (const node of await current.account.worksheets.find('')) {
      nodes.set(node.id, {
        uri: worksheetUri(current.tag, node.path, node.kind).toString(),
        kind: node.kind,
      });
    }
    this.seen = { tag: current.tag, nodes };
    return nodes;
  }

  /**
   * Another process changed the store: announces the worksheets and folders it created, changed, moved or
   * deleted (by node id, with where they were as of the last look), so VS Code reloads open documents that have
   * no unsaved edits (a dirty one keeps its edits, and saving it reports the conflict), marks deleted ones, and
   * the tree reloads.
   */
  private async externalChange(change: ExternalChange): Promise<void> {
    const ids = change.tables.get(T.node);
    if (!change.reloaded && !ids) return;
    const before = this.seen;
    const tag = this.manager.current?.tag;
    const after = await this.look();
    if (!after || !tag) return;
    const was = before?.tag === tag ? before.nodes : new Map<string, Seen>();
    const events: vscode.FileChangeEvent[] = [];
    const event = (type: vscode.FileChangeType, uri: string) =>
      events.push({ type, uri: vscode.Uri.parse(uri) });
    // After a compaction elsewhere anything may have changed: every node is looked at.
    const changed = change.reloaded ? new Set([...was.keys(), ...after.keys()]) : ids!;
    for (const id of changed) {
      const old = was.get(id);
      const now = after.get(id);
      if (old && now && old.uri === now.uri) {
        if (now.kind === 'worksheet') event(vscode.FileChangeType.Changed, now.uri);
        continue;
      }
      // Moved or renamed: gone from where it was (with what was below it), there where it is.
      if (old) event(vscode.FileChangeType.Deleted, old.uri);
      if (now) {
        event(vscode.FileChangeType.Created, now.uri);
        if (now.kind === 'folder') {
          for (const n of after.values())
            if (n.uri.startsWith(`${now.uri}/`)) event(vscode.FileChangeType.Created, n.uri);
        }
      }
    }
    // An open worksheet that is gone is always told so (even when the last look came after the deletion),
    // and with nothing to compare with, every open worksheet of the account may have changed.
    const present = new Set([...after.values()].map((n) => n.uri));
    const announced = new Set(events.map((e) => e.uri.toString()));
    for (const document of vscode.workspace.textDocuments) {
      const uri = document.uri.toString();
      if (document.uri.scheme !== WORKSHEET_SCHEME || document.uri.authority !== tag || announced.has(uri))
        continue;
      if (!present.has(uri)) event(vscode.FileChangeType.Deleted, uri);
      else if (!before || before.tag !== tag) event(vscode.FileChangeType.Changed, uri);
    }
    // A reorder changes no file: the root's change still reloads the tree.
    if (events.length === 0)
      event(vscode.FileChangeType.Changed, worksheetUri(tag, '/', 'folder').toString());
    this.changed.fire(events);
  }

  private async find(uri: vscode.Uri): Promise<Located> {
    // The current account answers at once (during a switch it is already the next one); only while
    // a session is being restored is there something to wait for.
    const current = this.manager.current ?? (await this.manager.require().catch(() => undefined));
    if (!current || current.tag !== uri.authority) {
      throw vscode.FileSystemError.NoPermissions(
        current
          ? 'This worksheet belongs to another MicroDataWarehouse account: sign in as that account to open or save it.'
          : 'Sign in to MicroDataWarehouse to open or save this worksheet.',
      );
    }
    const account = current.account;
    const names = uri.path.split('/').filter((p) => p.length > 0);
    if (names.length === 0) return { account, node: null, path: '/' };
    const last = names[names.length - 1]!;
    const folders = names.slice(0, -1);
    const candidates: { path: string; kind: TreeNode['kind'] }[] = [];
    if (last.toLowerCase().endsWith(WORKSHEET_SUFFIX) && last.length > WORKSHEET_SUFFIX.length) {
      candidates.push({
        path: join([...folders, last.slice(0, -WORKSHEET_SUFFIX.length)]),
        kind: 'worksheet',
      });
    }
    candidates.push({ path: join(names), kind: 'folder' });
    for (const c of candidates) {
      const node = await account.worksheets.resolve(c.path).catch((e) => {
        if (isEngineError(e) && (e.code === 'NOT_FOUND' || e.code === 'NAME_INVALID')) return undefined;
        throw e;
      });
      if (node && node.kind === c.kind) return { account, node, path: c.path };
    }
    throw vscode.FileSystemError.FileNotFound(uri);
  }

  private async folderAt(uri: vscode.Uri): Promise<Located> {
    const located = await this.find(uri);
    if (located.node && located.node.kind !== 'folder') throw vscode.FileSystemError.FileNotADirectory(uri);
    return located;
  }

  /** Turns store errors into file system errors VS Code understands, keeping the store's message. */
  private async guard<T>(uri: vscode.Uri, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      this.lastError = e;
      this.manager.noticeError(e);
      if (e instanceof vscode.FileSystemError) throw e;
      if (isEngineError(e)) {
        switch (e.code) {
          case 'NOT_FOUND':
            throw vscode.FileSystemError.FileNotFound(uri);
          case 'NAME_TAKEN':
            throw vscode.FileSystemError.FileExists(e.message);
          case 'NOT_SIGNED_IN':
            throw vscode.FileSystemError.NoPermissions(e.message);
          default:
            throw vscode.FileSystemError.Unavailable(e.message);
        }
      }
      this.log.error(`file system call on a worksheet failed`, e);
      throw e;
    }
  }
}

/** The node name of a worksheet URI (its file name without `.mdw.sql`). */
export function worksheetName(uri: vscode.Uri): string {
  const base = baseName(uri);
  if (!base.toLowerCase().endsWith(WORKSHEET_SUFFIX) || base.length === WORKSHEET_SUFFIX.length) {
    throw vscode.FileSystemError.NoPermissions(`A worksheet's file name ends in ${WORKSHEET_SUFFIX}.`);
  }
  return base.slice(0, -WORKSHEET_SUFFIX.length);
}

function baseName(uri: vscode.Uri): string {
  const names = uri.path.split('/').filter((p) => p.length > 0);
  return names[names.length - 1] ?? '';
}

function parentOf(uri: vscode.Uri): vscode.Uri {
  const names = uri.path.split('/').filter((p) => p.length > 0);
  return uri.with({ path: join(names.slice(0, -1)) });
}

function join(names: readonly string[]): string {
  return '/' + names.join('/');
}
