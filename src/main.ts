import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './platform/config/config.js';
import { createRuntime } from './runtime.js';

/** `payrail serve`: start, print the banner, drain on SIGTERM/SIGINT. */
export async function serve(config: Config): Promise<void> {
  const runtime = await createRuntime(config);
  const { app } = runtime;
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  printBanner(runtime, url);
  // The CLI finds a server on a non-default port from any directory through this file (docs/cli.md).
  const urlFile = path.join(config.dataDir, 'server-url');
  const reachable = url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:');
  try {
    fs.writeFileSync(urlFile, `${reachable}\n`);
  } catch (err) {
    app.log.warn({ err }, 'could not write the server-url file; the CLI falls back to PAYRAIL_URL or the default');
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: finishing requests in flight');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    try {
      if (fs.existsSync(urlFile) && fs.readFileSync(urlFile, 'utf8').trim() === reachable) fs.rmSync(urlFile, { force: true });
      await runtime.close();
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

function printBanner(runtime: Awaited<ReturnType<typeof createRuntime>>, url: string): void {
  const { config, demo } = runtime;
  const db = config.databaseUrl ? 'PostgreSQL' : `embedded PGlite in ${config.dataDir}/pglite`;
  const lines = [
    '',
    `  payrail is listening on ${url}  (${config.mode} mode, ${db})`,
    `  server public key (verifies webhooks): ${config.dataDir}/payrail.public.pem  or  GET ${url}/api/v1/public-key`,
    `  admin token: ${config.adminToken ? 'from PAYRAIL_ADMIN_TOKEN' : `${config.dataDir}/admin-token`}`,
  ];
  if (demo) {
    lines.push(
      `  project: demo   private key: ${demo.privateKeyPath}${demo.created ? '  (new)' : ''}`,
      '',
      '  try a signed call:',
      `    npx payrail call session/create '{"amount_details":{"amount":10000,"currency":"usd"}}'`,
    );
  }
  process.stderr.write(`${lines.join('\n')}\n\n`);
}
