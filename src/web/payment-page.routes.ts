import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.js';
import type { PaymentDeps } from '../payments/payment.service.js';
import type { Worker } from '../worker.js';
import { pageView, payOnPage } from './payment-page.service.js';

const PayBody = Type.Object(
  {
    number_hash: Type.String({ minLength: 1, maxLength: 128 }),
    security_code: Type.Optional(Type.String({ pattern: '^[0-9]{3,4}$', errorMessage: 'must be 3 or 4 digits' })),
    save_card: Type.Optional(Type.Boolean()),
  },
  { title: 'PaymentPagePayRequest' },
);
type PayBody = Static<typeof PayBody>;

/** JSON behind the hosted payment page: its state (polled by the page) and the pay action. */
export function paymentPageApiRoutes(app: FastifyInstance, deps: PaymentDeps & { db: Db; worker: Worker }): void {
  app.get<{ Params: { token: string } }>('/payment/:token/state', { schema: { hide: true } }, async (req, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok', page: await pageView(deps.db, req.params.token, deps.clock.now()) };
  });

  app.post<{ Params: { token: string }; Body: PayBody }>('/payment/:token/pay', { schema: { hide: true, body: PayBody } }, async (req) => {
    await payOnPage(deps.db, deps, req.params.token, req.body);
    deps.worker.nudge();
    return { status: 'ok', page: await pageView(deps.db, req.params.token, deps.clock.now()) };
  });
}
