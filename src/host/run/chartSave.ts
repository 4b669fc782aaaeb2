import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ChartImageFormat } from '../../shared/chart.js';
import type { ComponentLogger } from '../logger.js';

/** Saves a chart image the webview drew to a file the user picks, then offers to reveal or open it. */
export async function saveChartImage(
  log: ComponentLogger,
  format: ChartImageFormat,
  data: Uint8Array,
  title: string,
): Promise<{ saved: boolean; target?: string }> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const name = `${title.replace(/[^\w-]+/g, '_').slice(0, 40) || 'chart'}.${format}`;
  const target = await vscode.window.showSaveDialog({
    title: `Save chart as ${format.toUpperCase()}`,
    filters: format === 'png' ? { 'PNG image': ['png'] } : { 'SVG image': ['svg'] },
    ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}),
  });
  if (!target) return { saved: false };
  const uri =
    path.extname(target.path).toLowerCase() === `.${format}`
      ? target
      : target.with({ path: `${target.path}.${format}` });
  await vscode.workspace.fs.writeFile(uri, data);
  log.info(`saved a chart as ${format}`);
  void vscode.window.showInformationMessage(`Saved the chart to ${uri.fsPath}.`, 'Open').then((choice) => {
    if (choice === 'Open') void vscode.commands.executeCommand('vscode.open', uri);
  });
  return { saved: true, target: uri.fsPath };
}
