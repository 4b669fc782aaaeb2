import { EngineError } from '../errors.js';
import { randomId } from '../crypto/seal.js';
import { ad, AccountIndex, IndexedNode } from './accountIndex.js';
import { NodeRecord, openJson, RevisionRecord, sealJson, T } from './records.js';
import type { Transaction } from './sealedLog.js';
import type { ChartSpec } from '../../shared/chart.js';
import type { AccountScope, Reader } from './scope.js';

/** A folder or worksheet in an account's tree. Times are milliseconds since the epoch. */
export interface TreeNode {
  id: string;
  /** null: the account's root. */
  parentId: string | null;
  kind: 'folder' | 'worksheet';
  name: string;
  position: number;
  createdAt: number;
  updatedAt: number;
}

/** What a worksheet holds besides its place in the tree. */
export interface WorksheetContent {
  sql: string;
  /** Default database for its statements, or null. */
  database: string | null;
  /** Default schema for its statements, or null. */
  schema: string | null;
}

/** A worksheet with its content. */
export type Worksheet = TreeNode & WorksheetContent & { kind: 'worksheet' };

/** A kept state of a worksheet. */
export interface Revision extends WorksheetContent {
  id: string;
  worksheetId: string;
  savedAt: number;
}

/** A node found by {@link Worksheets.find}, with its path. */
export type FoundNode = TreeNode & { path: string };

/** A folder (with `children`) or a worksheet (with content) for {@link Worksheets.createTree}. */
export interface TreeSpec extends Partial<WorksheetContent> {
  name: string;
  /** Present for a folder (may be empty). */
  children?: TreeSpec[];
}

/** What {@link Worksheets.delete} removed. */
export interface DeleteReport {
  folders: number;
  worksheets: number;
}

const MAX_NAME = 200;
/** Largest sealed chart settings of one worksheet (JSON characters). */
const MAX_CHARTS_JSON = 64 * 1024;
/** Results of one run whose chart settings a worksheet keeps. */
const MAX_CHART_RESULTS = 50;

/** A worksheet's chart settings: by result position in a run ("0" is the first result). */
export type WorksheetCharts = Record<string, ChartSpec>;
const EMPTY: WorksheetContent = { sql: '', database: null, schema: null };

/**
 * An account's folders and worksheets (an adjacency list: each node names its parent). Names are unique among
 * siblings, ignoring case. Every content change keeps a revision (the last N per worksheet). Ids of another
 * account behave exactly like ids that do not exist (NOT_FOUND).
 */
export class Worksheets {
  constructor(private readonly scope: AccountScope) {}

  /** Children of a folder (null: the root), ordered by position. */
  async children(parentId: string | null = null): Promise<TreeNode[]> {
    return this.scope.read((index) => {
      if (parentId !== null) this.folder(index, parentId);
      return index.children(parentId).map(copy);
    });
  }

  /** One node (without content). */
  async get(id: string): Promise<TreeNode> {
    return this.scope.read((index) => copy(this.node(index, id)));
  }

  /** A worksheet with its SQL and defaults. */
  async open(id: string): Promise<Worksheet> {
    return this.scope.read((index, reader) =>
      this.withContent(this.worksheet(index, id), record(reader, id)),
    );
  }

  /** Creates a folder at the end of `parentId`'s children. */
  async createFolder(parentId: string | null, name: string): Promise<TreeNode> {
    const clean = checkName(name);
    return this.scope.write((tx, index) =>
      copy(this.insert(tx, index, parentId, clean, 'folder', undefined)),
    );
  }

  /** Creates a worksheet at the end of `parentId`'s children; keeps its first revision. */
  async createWorksheet(
    parentId: string | null,
    name: string,
    content: Partial<WorksheetContent> = {},
  ): Promise<Worksheet> {
    const clean = checkName(name);
    const body = checkContent({ ...EMPTY, ...content });
    return this.scope.write((tx, index) => {
      const node = this.insert(tx, index, parentId, clean, 'worksheet', body);
      this.keepRevision(tx, index, node.id, body);
      return { ...copy(node), kind: 'worksheet', ...body };
    });
  }

  /** Creates the folder at `path`; with `parents`, also any missing folders above it (an existing folder is returned). */
  async mkdir(path: string, options: { parents?: boolean } = {}): Promise<TreeNode> {
    const names = parsePath(path);
    if (names.length === 0)
      throw new EngineError('INVALID_ARGUMENT', 'The root folder always exists; give a path like /Reports.');
    let parent: TreeNode | null = null;
    for (const [i, name] of names.entries()) {
      const here = formatPath(names.slice(0, i + 1));
      const last = i === names.length - 1;
      const existing: TreeNode | undefined = await this.scope.read((index) => {
        const n = this.childNamed(index, parent?.id ?? null, name);
        return n && copy(n);
      });
      if (existing) {
        if (existing.kind !== 'folder')
          throw new EngineError('NAME_TAKEN', `${here} is a worksheet, not a folder.`);
        if (last && !options.parents) throw new EngineError('NAME_TAKEN', `${here} already exists.`);
        parent = existing;
      } else if (!last && !options.parents) {
        throw new EngineError('NOT_FOUND', `No folder ${here}.`);
      } else {
        parent = await this.createFolder(parent?.id ?? null, name);
      }
    }
    return parent!;
  }

  /** Creates a worksheet at `path`; its folder must exist. */
  async createAt(path: string, content: Partial<WorksheetContent> = {}): Promise<Worksheet> {
    const names = parsePath(path);
    if (names.length === 0)
      throw new EngineError('INVALID_ARGUMENT', 'Give a worksheet path like /Reports/revenue.');
    const parent = await this.resolve(formatPath(names.slice(0, -1)));
    if (parent && parent.kind !== 'folder')
      throw new EngineError('MOVE_INVALID', `${parent.name} is a worksheet, not a folder.`);
    return this.createWorksheet(parent?.id ?? null, names[names.length - 1]!, content);
  }

  /**
   * Creates a whole tree of folders and worksheets under `parentId` in one transaction (all or nothing), e.g. to
   * import a folder of SQL files. Names are checked as in createFolder/createWorksheet.
   */
  async createTree(parentId: string | null, spec: readonly TreeSpec[]): Promise<DeleteReport> {
    const checked = checkSpec(spec);
    return this.scope.write((tx, index) => {
      const report: DeleteReport = { folders: 0, worksheets: 0 };
      for (const item of checked) this.assertFree(index, parentId, item.name, undefined);
      if (parentId !== null) this.folder(index, parentId);
      const first = index.children(parentId);
      let position = first.length === 0 ? 0 : first[first.length - 1]!.position + 1;
      const queue: Array<{ parent: string | null; items: TreeSpec[]; position: number }> = [
        { parent: parentId, items: checked, position },
      ];
      while (queue.length > 0) {
        const level = queue.pop()!;
        position = level.position;
        for (const item of level.items) {
          const body = item.children ? undefined : checkContent({ ...EMPTY, ...item });
          const node = this.record(
            tx,
            level.parent,
            item.name,
            item.children ? 'folder' : 'worksheet',
            body,
            position++,
          );
          if (item.children) {
            report.folders++;
            queue.push({ parent: node.id, items: item.children, position: 0 });
          } else {
            report.worksheets++;
            this.keepRevision(tx, index, node.id, body!);
          }
        }
      }
      return report;
    });
  }

  /** Saves new content (a revision is kept when it differs from the current content). */
  async save(id: string, content: Partial<WorksheetContent>): Promise<Worksheet> {
    return this.scope.write((tx, index) => this.saveIn(tx, index, id, content));
  }

  /** The chart settings kept with a worksheet, by result position (empty when none). */
  async charts(id: string): Promise<WorksheetCharts> {
    return this.scope.read((index, reader) => {
      this.worksheet(index, id);
      const stored = record(reader, id);
      return stored.charts
        ? openJson<WorksheetCharts>(this.scope.key, stored.charts, ad.charts(this.scope.accountId, id))
        : {};
    });
  }

  /**
   * Keeps the chart settings of the result at `position` with the worksheet (sealed, no revision: the SQL is
   * unchanged); `null` forgets them.
   */
  async saveChart(id: string, position: number, spec: ChartSpec | null): Promise<void> {
    if (!Number.isInteger(position) || position < 0 || position >= MAX_CHART_RESULTS)
      throw new EngineError('INVALID_ARGUMENT', `A result position is 0 to ${MAX_CHART_RESULTS - 1}.`);
    if (spec !== null && (typeof spec !== 'object' || Array.isArray(spec)))
      throw new EngineError('INVALID_ARGUMENT', 'Chart settings are an object.');
    await this.scope.write((tx, index) => {
      this.worksheet(index, id);
      const stored = record(tx, id);
      const { accountId, key } = this.scope;
      const charts: WorksheetCharts = stored.charts
        ? openJson<WorksheetCharts>(key, stored.charts, ad.charts(accountId, id))
        : {};
      if (spec === null) delete charts[String(position)];
      else charts[String(position)] = spec;
      const json = JSON.stringify(charts);
      if (json.length > MAX_CHARTS_JSON)
        throw new EngineError('INVALID_ARGUMENT', 'These chart settings are too large to keep.');
      tx.put(T.node, id, { ...stored, charts: sealJson(key, charts, ad.charts(accountId, id)) });
    });
  }

  /** Renames a node; the name must be free among its siblings (ignoring case). */
  async rename(id: string, name: string): Promise<TreeNode> {
    const clean = checkName(name);
    return this.scope.write((tx, index) => {
      const node = this.node(index, id);
      this.assertFree(index, node.parentId, clean, id);
      const current = record(tx, id);
      const now = this.scope.now();
      tx.put(T.node, id, {
        ...current,
        name: sealJson(this.scope.key, clean, ad.name(this.scope.accountId, id)),
        updatedAt: now,
      });
      return { ...copy(node), name: clean, updatedAt: now };
    });
  }

  /**
   * Moves a node under another folder (null: root), at `position` among its new siblings (default: last). A folder
   * cannot move into itself or its own descendants (MOVE_INVALID).
   */
  async move(id: string, parentId: string | null, position?: number): Promise<TreeNode> {
    return this.scope.write((tx, index) => {
      const node = this.node(index, id);
      if (parentId !== null) {
        this.folder(index, parentId);
        for (let at: string | null = parentId; at !== null; at = index.nodes.get(at)?.parentId ?? null) {
          if (at === id)
            throw new EngineError(
              'MOVE_INVALID',
              `Cannot move "${node.name}" into itself or one of its own folders.`,
            );
        }
      }
      if (parentId !== node.parentId) this.assertFree(index, parentId, node.name, id);
      const siblings = index.children(parentId).filter((n) => n.id !== id);
      const at = clampPosition(position ?? siblings.length, siblings.length);
      siblings.splice(at, 0, node);
      const now = this.scope.now();
      this.renumber(tx, siblings, id, { parent: parentId, updatedAt: now });
      return { ...copy(node), parentId, position: at, updatedAt: now };
    });
  }

  /** Moves a node to `position` (0-based) among its siblings. */
  async reorder(id: string, position: number): Promise<TreeNode> {
    const node = await this.get(id);
    return this.move(id, node.parentId, position);
  }

  /** Deletes a node and everything below it, with their revisions; reports what was removed. */
  async delete(id: string): Promise<DeleteReport> {
    return this.scope.write((tx, index) => {
      const report: DeleteReport = { folders: 0, worksheets: 0 };
      const queue = [this.node(index, id)];
      while (queue.length > 0) {
        const node = queue.pop()!;
        if (node.kind === 'folder') {
          report.folders++;
          queue.push(...index.children(node.id));
        } else {
          report.worksheets++;
          for (const rev of index.revisions(node.id)) tx.delete(T.rev, rev.id);
        }
        tx.delete(T.node, node.id);
      }
      return report;
    });
  }

  /** The path of a node, e.g. `/Reports/2026/revenue`. */
  async pathOf(id: string): Promise<string> {
    return this.scope.read((index) => this.pathIn(index, this.node(index, id)));
  }

  /** The node at `path` (case-insensitive), or null for `/` (the root); NOT_FOUND when absent. */
  async resolve(path: string): Promise<TreeNode | null> {
    const names = parsePath(path);
    return this.scope.read((index) => {
      let node: IndexedNode | null = null;
      for (const [i, name] of names.entries()) {
        const next = this.childNamed(index, node?.id ?? null, name);
        if (!next || (i < names.length - 1 && next.kind !== 'folder')) {
          throw new EngineError('NOT_FOUND', `Nothing at ${formatPath(names.slice(0, i + 1))}.`);
        }
        node = next;
      }
      return node ? copy(node) : null;
    });
  }

  /** Nodes whose name contains `text` (ignoring case), with their paths, sorted by path. */
  async find(
    text: string,
    options: { kind?: 'folder' | 'worksheet'; limit?: number } = {},
  ): Promise<FoundNode[]> {
    const needle = text.toLowerCase();
    return this.scope.read((index) => {
      const found: FoundNode[] = [];
      for (const node of index.nodes.values()) {
        if (options.kind && node.kind !== options.kind) continue;
        if (node.name.toLowerCase().includes(needle))
          found.push({ ...copy(node), path: this.pathIn(index, node) });
      }
      found.sort((a, b) => a.path.localeCompare(b.path));
      return found.slice(0, options.limit ?? found.length);
    });
  }

  /** Kept revisions of a worksheet, newest first. */
  async revisions(id: string): Promise<Revision[]> {
    return this.scope.read((index, reader) => {
      this.worksheet(index, id);
      return index
        .revisions(id)
        .map((r) => this.revision(reader, r.id, id))
        .reverse();
    });
  }

  /** Makes a kept revision the worksheet's content again (itself a save, so it is kept as the newest revision). */
  async restore(id: string, revisionId: string): Promise<Worksheet> {
    return this.scope.write((tx, index) => {
      this.worksheet(index, id);
      if (!index.revisions(id).some((r) => r.id === revisionId)) {
        throw new EngineError('NOT_FOUND', 'That revision does not exist (it may have been pruned).');
      }
      const { sql, database, schema } = this.revision(tx, revisionId, id);
      return this.saveIn(tx, index, id, { sql, database, schema });
    });
  }

  private saveIn(
    tx: Transaction,
    index: AccountIndex,
    id: string,
    content: Partial<WorksheetContent>,
  ): Worksheet {
    const node = this.worksheet(index, id);
    const stored = record(tx, id);
    const current = this.content(stored, id);
    const next = checkContent({ ...current, ...content });
    if (next.sql === current.sql && next.database === current.database && next.schema === current.schema) {
      return { ...copy(node), kind: 'worksheet', ...current };
    }
    const now = this.scope.now();
    tx.put(T.node, id, {
      ...stored,
      body: sealJson(this.scope.key, next, ad.body(this.scope.accountId, id)),
      updatedAt: now,
    });
    this.keepRevision(tx, index, id, next);
    return { ...copy(node), kind: 'worksheet', ...next, updatedAt: now };
  }

  private insert(
    tx: Transaction,
    index: AccountIndex,
    parentId: string | null,
    name: string,
    kind: 'folder' | 'worksheet',
    body: WorksheetContent | undefined,
  ): IndexedNode {
    if (parentId !== null) this.folder(index, parentId);
    this.assertFree(index, parentId, name, undefined);
    const siblings = index.children(parentId);
    const position = siblings.length === 0 ? 0 : siblings[siblings.length - 1]!.position + 1;
    return this.record(tx, parentId, name, kind, body, position);
  }

  private record(
    tx: Transaction,
    parentId: string | null,
    name: string,
    kind: 'folder' | 'worksheet',
    body: WorksheetContent | undefined,
    position: number,
  ): IndexedNode {
    const id = randomId();
    const now = this.scope.now();
    const { accountId, key } = this.scope;
    const value: NodeRecord = {
      account: accountId,
      parent: parentId,
      kind,
      position,
      createdAt: now,
      updatedAt: now,
      name: sealJson(key, name, ad.name(accountId, id)),
    };
    if (body) value.body = sealJson(key, body, ad.body(accountId, id));
    tx.put(T.node, id, value);
    return { id, parentId, kind, name, position, createdAt: now, updatedAt: now };
  }

  private keepRevision(
    tx: Transaction,
    index: AccountIndex,
    worksheetId: string,
    content: WorksheetContent,
  ): void {
    const id = randomId();
    const { accountId, key } = this.scope;
    const value: RevisionRecord = {
      account: accountId,
      worksheet: worksheetId,
      savedAt: this.scope.now(),
      body: sealJson(key, content, ad.rev(accountId, id, worksheetId)),
    };
    tx.put(T.rev, id, value);
    const kept = index.revisions(worksheetId);
    const excess = kept.length + 1 - this.scope.limits.revisions;
    for (const old of kept.slice(0, Math.max(0, excess))) tx.delete(T.rev, old.id);
  }

  private renumber(
    tx: Transaction,
    ordered: IndexedNode[],
    movedId: string,
    moved: { parent: string | null; updatedAt: number },
  ): void {
    ordered.forEach((n, position) => {
      if (n.id !== movedId && n.position === position) return;
      const stored = record(tx, n.id);
      tx.put(T.node, n.id, n.id === movedId ? { ...stored, ...moved, position } : { ...stored, position });
    });
  }

  private revision(reader: Reader, revisionId: string, worksheetId: string): Revision {
    const stored = reader.get(T.rev, revisionId) as RevisionRecord;
    const content = openJson<WorksheetContent>(
      this.scope.key,
      stored.body,
      ad.rev(this.scope.accountId, revisionId, worksheetId),
    );
    return { id: revisionId, worksheetId, savedAt: stored.savedAt, ...content };
  }

  private pathIn(index: AccountIndex, node: IndexedNode): string {
    const names: string[] = [];
    for (
      let at: IndexedNode | undefined = node;
      at;
      at = at.parentId ? index.nodes.get(at.parentId) : undefined
    ) {
      names.push(at.name);
      if (names.length > index.nodes.size)
        throw new EngineError('STORE_CORRUPT', 'The worksheet tree has a cycle.');
    }
    return formatPath(names.reverse());
  }

  private childNamed(index: AccountIndex, parentId: string | null, name: string): IndexedNode | undefined {
    const lower = name.toLowerCase();
    return index.children(parentId).find((n) => n.name.toLowerCase() === lower);
  }

  private assertFree(
    index: AccountIndex,
    parentId: string | null,
    name: string,
    self: string | undefined,
  ): void {
    const clash = this.childNamed(index, parentId, name);
    if (clash && clash.id !== self) {
      const where = parentId === null ? 'at the top level' : 'in this folder';
      throw new EngineError('NAME_TAKEN', `A ${clash.kind} named "${clash.name}" already exists ${where}.`);
    }
  }

  private node(index: AccountIndex, id: string): IndexedNode {
    const node = typeof id === 'string' ? index.nodes.get(id) : undefined;
    if (!node) throw new EngineError('NOT_FOUND', 'No such folder or worksheet.');
    return node;
  }

  private folder(index: AccountIndex, id: string): IndexedNode {
    const node = this.node(index, id);
    if (node.kind !== 'folder')
      throw new EngineError('MOVE_INVALID', `"${node.name}" is a worksheet, not a folder.`);
    return node;
  }

  private worksheet(index: AccountIndex, id: string): IndexedNode {
    const node = this.node(index, id);
    if (node.kind !== 'worksheet')
      throw new EngineError('NOT_FOUND', `"${node.name}" is a folder, not a worksheet.`);
    return node;
  }

  private content(record: NodeRecord, id: string): WorksheetContent {
    return record.body
      ? openJson<WorksheetContent>(this.scope.key, record.body, ad.body(this.scope.accountId, id))
      : EMPTY;
  }

  private withContent(node: IndexedNode, stored: NodeRecord): Worksheet {
    return { ...copy(node), kind: 'worksheet', ...this.content(stored, node.id) };
  }
}

function record(reader: Reader, id: string): NodeRecord {
  return reader.get(T.node, id) as NodeRecord;
}

function copy(node: IndexedNode): TreeNode {
  return { ...node };
}

function clampPosition(position: number, count: number): number {
  if (!Number.isInteger(position))
    throw new EngineError('INVALID_ARGUMENT', `Position must be a whole number; got ${position}.`);
  return Math.max(0, Math.min(position, count));
}

/** Checks and trims a folder or worksheet name; NAME_INVALID with the reason. */
export function checkName(name: string): string {
  const clean = typeof name === 'string' ? name.trim() : '';
  if (clean.length === 0) throw new EngineError('NAME_INVALID', 'A name cannot be empty.');
  if (clean.length > MAX_NAME)
    throw new EngineError('NAME_INVALID', `A name has at most ${MAX_NAME} characters.`);
  if (clean.includes('/'))
    throw new EngineError('NAME_INVALID', `"${clean}": names cannot contain "/" (it separates path parts).`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(clean))
    throw new EngineError('NAME_INVALID', 'Names cannot contain control characters.');
  if (clean === '.' || clean === '..')
    throw new EngineError('NAME_INVALID', `"${clean}" is not a usable name.`);
  return clean;
}

function checkContent(content: WorksheetContent): WorksheetContent {
  if (typeof content.sql !== 'string')
    throw new EngineError('INVALID_ARGUMENT', 'Worksheet SQL must be text.');
  for (const field of ['database', 'schema'] as const) {
    const v = content[field];
    if (v !== null && (typeof v !== 'string' || v.length === 0 || v.length > 255)) {
      throw new EngineError(
        'INVALID_ARGUMENT',
        `The default ${field} must be a name (1 to 255 characters) or null.`,
      );
    }
  }
  return { sql: content.sql, database: content.database, schema: content.schema };
}

function checkSpec(spec: readonly TreeSpec[]): TreeSpec[] {
  if (!Array.isArray(spec))
    throw new EngineError('INVALID_ARGUMENT', 'A tree is a list of folders and worksheets.');
  const seen = new Set<string>();
  return spec.map((item) => {
    const name = checkName(item?.name);
    if (seen.has(name.toLowerCase()))
      throw new EngineError('NAME_TAKEN', `"${name}" appears twice in the same folder.`);
    seen.add(name.toLowerCase());
    return item.children ? { name, children: checkSpec(item.children) } : { ...item, name };
  });
}

/** Splits `/a/b/c` into names (empty parts ignored); each part must be a valid name. */
export function parsePath(path: string): string[] {
  if (typeof path !== 'string')
    throw new EngineError('INVALID_ARGUMENT', 'A path must be text like /Reports/2026.');
  return path
    .split('/')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map(checkName);
}

/** Joins names into a path: ["Reports", "2026"] -> "/Reports/2026". */
export function formatPath(names: readonly string[]): string {
  return '/' + names.join('/');
}
