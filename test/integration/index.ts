// Entry point given to VS Code as `extensionTestsPath`: runs every *.test.js beside it with mocha inside
// the extension host. code-server's extension host has no useful stdout, so the report also goes to
// the file named by MDW_TEST_REPORT (set through the workbench payload's extensionEnvironment).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';
import Mocha from 'mocha';
import * as vscode from 'vscode';

export async function run(): Promise<void> {
  const report = process.env.MDW_TEST_REPORT;
  if (report) {
    fs.writeFileSync(report, '');
    const print = Mocha.reporters.Base.consoleLog;
    Mocha.reporters.Base.consoleLog = (...args: unknown[]) => {
      fs.appendFileSync(report, util.format(...args) + '\n');
      print(...args);
    };
  }
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60_000, reporter: 'spec' });
  const grep = process.env.MDW_TEST_GREP;
  if (grep) mocha.grep(grep);
  for (const file of fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort()) {
    mocha.addFile(path.join(__dirname, file));
  }
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  // Suites point warehouse.folder (an application setting: no workspace may set it) at scratch folders in the user
  // settings; the UI tests that follow on the same code-server use the default.
  const config = vscode.workspace.getConfiguration('microDataWarehouse');
  await config.update('warehouse.folder', undefined, vscode.ConfigurationTarget.Global);
  await config.update('files.allowedFolders', undefined, vscode.ConfigurationTarget.Global);
  if (failures > 0) throw new Error(`${failures} integration test(s) failed.`);
}
