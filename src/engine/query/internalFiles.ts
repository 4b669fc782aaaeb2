import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../errors.js';
import { stringLiterals } from './split.js';

const GLOB = /[*?[{]/;
const caseInsensitive = process.platform === 'win32' || process.platform === 'darwin';

function norm(p: string): string {
  return caseInsensitive ? p.toLowerCase() : p;
}

function realOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

function inside(dir: string, candidate: string): boolean {
  const rel = path.relative(norm(dir), norm(candidate));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function segmentPattern(segment: string): RegExp {
  let re = '';
  for (const ch of segment) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[\\^$.+()|{}[\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, caseInsensitive ? 'i' : '');
}

/** True when glob `pattern` (absolute) could match a path inside `dir`. */
function globReaches(dir: string, pattern: string): boolean {
  const patternParts = pattern.split(/[\\/]+/);
  const dirParts = dir.split(/[\\/]+/);
  for (let i = 0; i < dirParts.length; i++) {
    const p = patternParts[i];
    if (p === undefined) return false;
    if (p === '**') return true;
    if (GLOB.test(p) ? !segmentPattern(p).test(dirParts[i]!) : norm(p) !== norm(dirParts[i]!)) return false;
  }
  return true;
}

/**
 * Throws INTERNAL_FILE_REFUSED when any string literal of `sql` names a path inside the warehouse
 * folder `dir` (relative paths resolve against the process's working directory, as DuckDB's do),
 * so SQL cannot ATTACH, read or overwrite the warehouse's own files. A guard against mistakes and
 * casual misuse, not a sandbox: a path assembled at run time (`'a' || 'b'`) is not seen.
 */
export function refuseInternalFiles(sql: string, dir: string): void {
  const roots = [...new Set([path.resolve(dir), realOrSelf(path.resolve(dir))])];
  for (const literal of stringLiterals(sql)) {
    const value = literal.value.trim().replace(/^file:\/\//i, '');
    if (!value || value.length > 4096 || /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) continue;
    const resolved = path.resolve(value);
    const hit = roots.some((root) =>
      GLOB.test(value)
        ? globReaches(root, resolved)
        : inside(root, resolved) || inside(root, realOrSelf(resolved)),
    );
    if (hit) {
      throw new EngineError(
        'INTERNAL_FILE_REFUSED',
        `Refused: '${literal.value}' is inside the warehouse folder, whose files only MicroDataWarehouse may open. Use the databases it attaches (by name), or a file outside the warehouse.`,
      );
    }
  }
}
