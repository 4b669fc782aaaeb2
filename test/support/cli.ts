import { spawn } from 'node:child_process';
import * as path from 'node:path';

/** Path of the built `mdw` entry (bin/mdw.js → dist/cli.js). */
export const MDW = path.resolve(__dirname, '../../../bin/mdw.js');

/** What a spawned `mdw` printed and how it exited. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `mdw args…` as a user would, in its own process, optionally feeding standard input. */
export function mdw(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MDW, ...args], {
      // A warehouse service a test's mdw starts stops 10 s after its last client (not minutes), so that test runs
      // do not leave idle services behind; nothing a test checks depends on it.
      env: { MDW_SERVICE_IDLE_SECONDS: '10', ...process.env, ...options.env },
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
