import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExportFormat } from '../../shared/protocol.js';
import type { ResultView } from '../../shared/results.js';
import type { ComponentLogger } from '../logger.js';
import type { Run, RunController } from './runController.js';

const FILTERS: Record<ExportFormat, Record<string, string[]>> = {
  csv: { CSV: ['csv'] },
  parquet: { Parquet: ['parquet'] },
  json: { JSON: ['json'] },
};

/**
 * Export as every surface does it: a save dialog (unless `to` is given), progress while DuckDB writes,
 * then a notification offering to reveal or open the file. A failure is shown with its reason and
 * thrown. The format is `format`, else the file's extension.
 */
export async function exportWithProgress(
  runs: RunController,
  log: ComponentLogger,
  run: Run,
  resultId: string,
  options: { format?: ExportFormat; view?: ResultView; to?: vscode.Uri } = {},
): Promise<{ saved: boolean; target?: string }> {
  const entry = run.results.find((e) => e.result.id === resultId);
  if (!entry) throw new Error('This result is no longer available. Run the query again.');
  const { format } = options;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const name = `${entry.title.replace(/[^\w-]+/g, '_').slice(0, 40) || 'result'}.${format ?? 'csv'}`;
  const target =
    options.to ??
    (await vscode.window.showSaveDialog({
      title: `Export ${entry.title}`,
      filters: format ? FILTERS[format] : { CSV: ['csv'], Parquet: ['parquet'], JSON: ['json'] },
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}),
    }));
  if (!target) return { saved: false };
  let file = target.fsPath;
  if (format && path.extname(file).toLowerCase() !== `.${format}`) file += `.${format}`;
  let written: { rows: number; file: string };
  try {
    written = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Exporting ${entry.title}…` },
      () => runs.exportResult(run, resultId, file, options.view ?? {}),
    );
  } catch (e) {
    log.error('export failed', e);
    const message = e instanceof Error ? e.message : String(e);
    void vscode.window.showErrorMessage(`Export failed: ${message}`);
    throw e;
  }
  log.info(`exported ${written.rows} row(s) as ${path.extname(file)}`);
  const uri = vscode.Uri.file(written.file);
  void vscode.window
    .showInformationMessage(
      `Exported ${written.rows.toLocaleString('en-US')} rows to ${written.file}.`,
      'Reveal',
      'Open',
    )
    .then((choice) => {
      if (choice === 'Reveal') void vscode.commands.executeCommand('revealFileInOS', uri);
      else if (choice === 'Open') void vscode.commands.executeCommand('vscode.open', uri);
    });
  return { saved: true, target: written.file };
}
