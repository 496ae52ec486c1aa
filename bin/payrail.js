#!/usr/bin/env node
// The CLI runs the compiled build (npm install builds it; npm run build rebuilds it).
import('../dist/cli.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli.js')) {
    process.stderr.write('payrail: the build is missing; run `npm run build` (npm install does it) and try again\n');
    process.exit(2);
  }
  throw err;
});
