/** Runs the `mdw` command line with `argv` (without node and script) and resolves to the exit status. */
export async function runCli(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write('usage: mdw [--warehouse DIR] <command> ...\n');
    return 0;
  }
  process.stderr.write(`mdw: unknown command "${argv[0]}"\n`);
  return 2;
}
