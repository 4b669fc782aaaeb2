import type { Command } from './command.js';
import { authCommands } from './commands/auth.js';
import { catalogCommand } from './commands/catalog.js';
import { dbCommands } from './commands/db.js';
import { demoCommand } from './commands/demo.js';
import { importCommand } from './commands/import.js';
import { exportCommand, queryCommand } from './commands/query.js';
import { wsCommands } from './commands/ws.js';

/** Every `mdw` command, in help order. */
export const commands: Command[] = [
  ...authCommands,
  ...dbCommands,
  queryCommand,
  importCommand,
  exportCommand,
  catalogCommand,
  demoCommand,
  ...wsCommands,
];
