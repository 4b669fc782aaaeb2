// Pin, open pinned and Compare of kept results, as every surface offers them (the Results panel, the
// worksheet editor, a result opened beside, the palette). Kept free of `vscode`: the dialogs are
// injected, so the webview tests drive the same flow in plain Node over a real engine.
import { randomUUID } from 'node:crypto';
import { EngineError } from '../../engine/errors.js';
import type { EngineResult, EngineSession } from '../../engine/api.js';
import type { CompareCounts, PinInfo } from '../../engine/query/index.js';
import type { RunMessage } from '../../shared/protocol.js';
import type { Run, RunController } from './runController.js';

/** One result the user may pick (a pinned one, or one of the latest run). */
export interface ResultPick {
  resultId: string;
  label: string;
  description: string;
}

/** A result opened on its own (a pinned result, or the differences of a compare). */
export interface OpenedResult {
  /** Session key of the document whose session keeps the result. */
  key: string;
  title: string;
  /** A run holding just this result (pages and export go through it). */
  run: Run;
  counts?: CompareCounts;
}

/** The dialogs and views the flow needs (VS Code's in the extension, scripted in tests). */
export interface CompareFlowUi {
  /** Asks for a pin name (`validate` answers an error message or undefined); undefined: dismissed. */
  pinName(suggested: string, validate: (name: string) => string | undefined): Promise<string | undefined>;
  /** Lets the user pick one of `items`; undefined: dismissed. */
  pickResult(title: string, items: ResultPick[]): Promise<string | undefined>;
  /** Lets the user pick key columns among `columns` (none: whole rows); undefined: dismissed. */
  pickKeys(columns: string[]): Promise<string[] | undefined>;
  /** Runs `work` with a cancellable progress notice; the signal aborts on cancel. */
  progress<T>(title: string, work: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** Shows a result beside the editor (a pinned result or differences). */
  show(opened: OpenedResult): void;
  info(message: string): void;
}

/** "3 only in A · 2 only in B · 1 changed" (plus duplicate keys when there are any). */
export function countsText(counts: CompareCounts): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  const parts = [
    `${n(counts.onlyInA)} only in A`,
    `${n(counts.onlyInB)} only in B`,
    `${n(counts.changed)} changed`,
  ];
  const dup = counts.duplicateKeys;
  if (dup.a || dup.b) parts.push(`duplicate keys: ${n(dup.a)} in A, ${n(dup.b)} in B`);
  return parts.join(' · ');
}

/** Pin, unpin, open pinned and compare over the sessions of the run controller. */
export class CompareFlow {
  constructor(
    private readonly runs: RunController,
    private readonly ui: CompareFlowUi,
    private readonly log?: (line: string) => void,
  ) {}

  /** The pins of the session of `key`, oldest first (none before its first run). */
  async pins(key: string): Promise<(PinInfo & { result: EngineResult })[]> {
    return (await this.sessionOf(key, false)?.pinned()) ?? [];
  }

  /** Asks for a name (unless `presetName`) and pins `resultId`; resolves with the pin, or undefined when dismissed. */
  async pin(key: string, resultId: string, presetName?: string): Promise<PinInfo | undefined> {
    const session = this.sessionOf(key);
    const result = session.result(resultId);
    const pins = await session.pinned();
    const current = pins.find((p) => p.resultId === resultId);
    const suggested = current?.name ?? `Result ${pins.length + 1}`;
    const taken = new Set(pins.filter((p) => p.resultId !== resultId).map((p) => p.name.toLowerCase()));
    const name =
      presetName ??
      (await this.ui.pinName(suggested, (value) => {
        const clean = value.trim();
        if (!clean) return 'Give the pinned result a name.';
        if (taken.has(clean.toLowerCase())) return `A pinned result is already named "${clean}".`;
        return undefined;
      }));
    if (name === undefined) return undefined;
    const pin = await session.pin(result.id, name);
    this.log?.(`pinned a result (${(await session.pinned()).length} pinned)`);
    this.ui.info(`Pinned "${pin.name}": it stays until you unpin it or close the editor.`);
    return pin;
  }

  /** Unpins `resultId`, or one the user picks. */
  async unpin(key: string, resultId?: string): Promise<boolean> {
    const session = this.sessionOf(key);
    const id = resultId ?? (await this.ui.pickResult('Unpin which result?', await this.pinPicks(session)));
    if (id === undefined) return false;
    return session.unpin(id);
  }

  /** Opens a pinned result (`resultId`, or one the user picks) beside the editor. */
  async openPinned(key: string, resultId?: string): Promise<OpenedResult | undefined> {
    const session = this.sessionOf(key);
    const picks = await this.pinPicks(session);
    if (!resultId && picks.length === 0) {
      this.ui.info('No pinned results yet: use Pin… on a result first.');
      return undefined;
    }
    const id = resultId ?? (await this.ui.pickResult('Open which pinned result?', picks));
    if (id === undefined) return undefined;
    const result = session.result(id);
    const name = (await session.pinned()).find((p) => p.resultId === id)?.name ?? 'Result';
    const opened: OpenedResult = {
      key,
      title: `📌 ${name}`,
      run: this.resultRun(key, session, `📌 ${name}`, result, [
        { kind: 'info', statement: result.sql, text: `Pinned as "${name}"`, rows: result.rowCount },
      ]),
    };
    this.ui.show(opened);
    return opened;
  }

  /**
   * Compares `resultId` (A) with a result the user picks (B: a pinned one or one of the latest run),
   * on key columns the user picks, and opens the differences beside the editor.
   */
  async compare(
    key: string,
    resultId: string,
    preset?: { other?: string; keys?: string[] },
  ): Promise<OpenedResult | undefined> {
    const session = this.sessionOf(key);
    const a = session.result(resultId);
    const picks = (await this.comparePicks(key, session)).filter((p) => p.resultId !== resultId);
    if (!preset?.other && picks.length === 0) {
      this.ui.info('There is no other result to compare with: pin this one, run again, then Compare….');
      return undefined;
    }
    const other = preset?.other ?? (await this.ui.pickResult('Compare with which result (B)?', picks));
    if (other === undefined) return undefined;
    const b = session.result(other);
    const bNames = new Set(b.columns.map((c) => c.exportName.toLowerCase()));
    const keys =
      preset?.keys ??
      (await this.ui.pickKeys(a.columns.map((c) => c.exportName).filter((n) => bNames.has(n.toLowerCase()))));
    if (keys === undefined) return undefined;
    const pinned = await session.pinned();
    const label = (r: EngineResult): string => this.nameOf(key, pinned, r);
    const compared = await this.ui.progress(`Comparing ${label(a)} with ${label(b)}…`, (signal) =>
      session.compare(a.id, b.id, { keys, signal }),
    );
    const summary = countsText(compared.counts);
    this.log?.(`compared two results: ${compared.result.rowCount} difference row(s)`);
    const title = `${summary} (A: ${label(a)}, B: ${label(b)})`;
    const opened: OpenedResult = {
      key,
      title,
      counts: compared.counts,
      run: this.resultRun(key, session, title, compared.result, [
        {
          kind: 'info',
          statement: `A: ${label(a)}\nB: ${label(b)}\nMatched by: ${compared.keys.length ? compared.keys.join(', ') : 'whole rows (duplicates counted)'}`,
          text: summary,
          rows: compared.result.rowCount,
          elapsedMs: compared.result.summary().elapsedMs,
        },
      ]),
    };
    this.ui.show(opened);
    return opened;
  }

  private nameOf(key: string, pinned: PinInfo[], r: EngineResult): string {
    const pin = pinned.find((p) => p.resultId === r.id);
    if (pin) return `"${pin.name}"`;
    const entry = this.runs.lastRun(key)?.results.find((e) => e.result.id === r.id);
    return entry ? `latest run (${entry.title})` : 'result';
  }

  private async pinPicks(session: EngineSession): Promise<ResultPick[]> {
    return (await session.pinned()).map((p) => ({
      resultId: p.resultId,
      label: `📌 ${p.name}`,
      description: `${p.result.rowCount.toLocaleString('en-US')} rows · ${p.result.sql.replace(/\s+/g, ' ').slice(0, 60)}`,
    }));
  }

  private async comparePicks(key: string, session: EngineSession): Promise<ResultPick[]> {
    const pinned = await this.pinPicks(session);
    const seen = new Set(pinned.map((p) => p.resultId));
    const latest = (this.runs.lastRun(key)?.results ?? [])
      .filter((e) => !seen.has(e.result.id))
      .map((e) => ({
        resultId: e.result.id,
        label: `Latest run: ${e.title}`,
        description: `${e.result.rowCount.toLocaleString('en-US')} rows`,
      }));
    return [...pinned, ...latest];
  }

  private sessionOf(key: string, required?: true): EngineSession;
  private sessionOf(key: string, required: false): EngineSession | undefined;
  private sessionOf(key: string, required = true): EngineSession | undefined {
    const session = this.runs.lastRun(key)?.session;
    if ((!session || session.isClosed) && required)
      throw new EngineError('RESULT_NOT_FOUND', 'Nothing has run in this editor yet: run a query first.');
    return session?.isClosed ? undefined : session;
  }

  private resultRun(
    key: string,
    session: EngineSession,
    title: string,
    result: EngineResult,
    messages: RunMessage[],
  ): Run {
    const now = Date.now();
    return {
      id: `result-${randomUUID()}`,
      key,
      script: '',
      sql: result.sql,
      startedAt: now,
      durationMs: 0,
      status: 'ok',
      outcomes: [],
      results: [{ title, result }],
      messages,
      session,
    };
  }
}

/** Pin… and Compare… of a result shown by a surface, for the document (session key) it belongs to. */
export interface ResultActions {
  pin(key: string, resultId: string): void;
  compare(key: string, resultId: string): void;
}
