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

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: finishing requests in flight');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    try {
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
