import type { Command } from './command.js';
import { dbCommands } from './commands/db.js';

/** Every `mdw` command, in help order. */
export const commands: Command[] = [...dbCommands];
