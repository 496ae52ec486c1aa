import { main } from './cli/index.js';

/** The CLI's entry point (bin/payrail.js runs its build); the commands are in src/cli/. */
// `payrail … | head` closes the pipe early: that is the reader being done, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
const code = await main(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
