import type { SealedLog } from './sealedLog.js';
import { HistoryRecord, NodeRecord, openJson, RevisionRecord, T } from './records.js';

/** A folder or worksheet as the tree index holds it (name decrypted, no SQL). */
export interface IndexedNode {
  id: string;
  parentId: string | null;
  kind: 'folder' | 'worksheet';
  name: string;
  position: number;
  createdAt: number;
  updatedAt: number;
}

interface Dated {
  id: string;
  at: number;
}

/** AD strings binding sealed fields to their account, table and key (a field moved elsewhere fails to open). */
export const ad = {
  name: (account: string, node: string) => `node name ${account} ${node}`,
  body: (account: string, node: string) => `node body ${account} ${node}`,
  charts: (account: string, node: string) => `node charts ${account} ${node}`,
  rev: (account: string, rev: string, worksheet: string) => `rev ${account} ${rev} ${worksheet}`,
  hist: (account: string, entry: string) => `hist ${account} ${entry}`,
  email: (account: string) => `email ${account}`,
  dbkey: (account: string, slot: string) => `dbkey ${account} ${slot}`,
};

/**
 * One account's tree, revision and history index, decrypted with the account key and kept current from the log's
 * change events, so that listing or checking sibling names never decrypts the whole tree again.
 */
export class AccountIndex {
  readonly nodes = new Map<string, IndexedNode>();
  private readonly kids = new Map<string, Set<string>>();
  private readonly revs = new Map<string, Dated[]>();
  private readonly revOwner = new Map<string, string>();
  private readonly hist: Dated[] = [];
  private readonly histWorksheet = new Map<string, string | null>();

  constructor(
    readonly accountId: string,
    private readonly key: Uint8Array,
    log: SealedLog,
  ) {
    for (const [id, value] of log.entries(T.node)) this.change(T.node, id, value);
    for (const [id, value] of log.entries(T.rev)) this.change(T.rev, id, value);
    for (const [id, value] of log.entries(T.hist)) this.change(T.hist, id, value);
  }

  /** Applies one committed change if it concerns this account. */
  change(table: string, key: string, value: unknown): void {
    if (table === T.node) this.changeNode(key, value as NodeRecord | null);
    else if (table === T.rev) this.changeRev(key, value as RevisionRecord | null);
    else if (table === T.hist) this.changeHist(key, value as HistoryRecord | null);
  }

  /** Child ids of `parentId` (null: root), ordered by position then name. */
  children(parentId: string | null): IndexedNode[] {
    const ids = this.kids.get(parentId ?? '') ?? new Set<string>();
    return [...ids]
      .map((id) => this.nodes.get(id)!)
      .sort((a, b) => a.position - b.position || a.name.localeCompare(b.name));
  }

  /** Revision ids of a worksheet, oldest first. */
  revisions(worksheetId: string): Dated[] {
    return this.revs.get(worksheetId) ?? [];
  }

  /** History entry ids, oldest first, with their worksheet. */
  history(): ReadonlyArray<Dated & { worksheet: string | null }> {
    return this.hist.map((h) => ({ ...h, worksheet: this.histWorksheet.get(h.id) ?? null }));
  }

  private changeNode(id: string, value: NodeRecord | null): void {
    const old = this.nodes.get(id);
    if (old) {
      this.kids.get(old.parentId ?? '')?.delete(id);
      this.nodes.delete(id);
    }
    if (!value || value.account !== this.accountId) return;
    const node: IndexedNode = {
      id,
      parentId: value.parent,
      kind: value.kind,
      name: openJson<string>(this.key, value.name, ad.name(this.accountId, id)),
      position: value.position,
      createdAt: value.createdAt,
      updatedAt: value.updatedAt,
    };
    this.nodes.set(id, node);
    const parent = node.parentId ?? '';
    let set = this.kids.get(parent);
    if (!set) this.kids.set(parent, (set = new Set()));
    set.add(id);
  }

  private changeRev(id: string, value: RevisionRecord | null): void {
    if (!value) {
      const ws = this.revOwner.get(id);
      if (ws === undefined) return;
      this.revOwner.delete(id);
      const list = this.revs.get(ws)!;
      list.splice(
        list.findIndex((r) => r.id === id),
        1,
      );
      if (list.length === 0) this.revs.delete(ws);
      return;
    }
    if (value.account !== this.accountId) return;
    this.revOwner.set(id, value.worksheet);
    let list = this.revs.get(value.worksheet);
    if (!list) this.revs.set(value.worksheet, (list = []));
    insertSorted(list, { id, at: value.savedAt });
  }

  private changeHist(id: string, value: HistoryRecord | null): void {
    if (!value) {
      if (this.histWorksheet.delete(id)) {
        const i = this.hist.findIndex((h) => h.id === id);
        if (i >= 0) this.hist.splice(i, 1);
      }
      return;
    }
    if (value.account !== this.accountId) return;
    if (!this.histWorksheet.has(id)) insertSorted(this.hist, { id, at: value.startedAt });
    this.histWorksheet.set(id, value.worksheet);
  }
}

function insertSorted(list: Dated[], item: Dated): void {
  const existing = list.findIndex((d) => d.id === item.id);
  if (existing >= 0) list.splice(existing, 1);
  let i = list.length;
  while (i > 0 && list[i - 1]!.at > item.at) i--;
  list.splice(i, 0, item);
}
