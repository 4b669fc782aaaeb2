import type { Command } from './command.js';
import { catalogCommand } from './commands/catalog.js';
import { dbCommands } from './commands/db.js';
import { importCommand } from './commands/import.js';
import { exportCommand, queryCommand } from './commands/query.js';

/** Every `mdw` command, in help order. */
export const commands: Command[] = [
  ...dbCommands,
  queryCommand,
  importCommand,
  exportCommand,
  catalogCommand,
];
