/**
 * The rails a payout travels on, one typed record each: how a destination chooses it, whether it
 * moves money, and the identifier it routes on. `RAIL_SPECS` must name every rail (`satisfies`), so a
 * new rail that lacks a part does not compile; nor does a sandbox without its settle delay
 * (connectors/sandbox/sandbox-rails.ts types its table by `Rail` too).
 */
export const RAILS = ['card', 'bank_transfer', 'ru', 'fps', 'wallet', 'fps_verification'] as const;
export type Rail = (typeof RAILS)[number];

type Json = Record<string, unknown>;

export interface RailSpec {
  /** The destination that selects this rail, for docs and error messages. */
  readonly destination: string;
  /** false for a check that moves no money (FPS customer verification). */
  readonly movesMoney: boolean;
  /** The account identifier the rail routes on; a card number is revealed from the vault. */
  routingKey(method: Json, revealCard: (cardId: string) => Promise<string>): Promise<string>;
}

const accountOf = (method: Json): Json => {
  const account = (method['bank_account'] ?? {}) as Json;
  return (account[String(account['system_type'])] ?? {}) as Json;
};

/** An account identifier without the spaces people type in IBANs and account numbers. */
const compact = (value: unknown): string => String(value ?? '').replace(/\s+/g, '');

const bankAccount = (method: Json): Promise<string> => {
  const details = accountOf(method);
  return Promise.resolve(compact(details['iban'] ?? details['bank_account_number'] ?? details['account_number'] ?? details['account']));
};

export const RAIL_SPECS = {
  card: {
    destination: 'payment_method.type card',
    movesMoney: true,
    routingKey: (method, reveal) => reveal(((method['card'] as Json)['vault_card'] as { card_id: string }).card_id),
  },
  bank_transfer: { destination: 'bank_account.system_type global or iban', movesMoney: true, routingKey: bankAccount },
  ru: { destination: 'bank_account.system_type ru', movesMoney: true, routingKey: bankAccount },
  fps: { destination: 'bank_account.system_type faster_payment_system', movesMoney: true, routingKey: (method) => Promise.resolve(compact(accountOf(method)['phone'])) },
  wallet: {
    destination: 'payment_method.type wallet',
    movesMoney: true,
    routingKey: (method) => {
      const w = (method['wallet'] ?? {}) as Json;
      const inner = (w[String(w['type'])] ?? w) as Json;
      return Promise.resolve(compact(inner['account'] ?? w['account']));
    },
  },
  fps_verification: {
    destination: 'fps/customer_verification',
    movesMoney: false,
    routingKey: (method) => Promise.resolve(compact(accountOf(method)['phone'])),
  },
} as const satisfies Record<Rail, RailSpec>;

/**
 * The rail of a destination that passed the destination checks (destination.ts). An unknown
 * destination is a programming error here, not a guess: the checks refuse it first.
 */
export function railOf(method: Json): Rail {
  switch (method['type']) {
    case 'card':
      return 'card';
    case 'wallet':
      return 'wallet';
    case 'bank_account':
      break;
    default:
      throw new Error(`no rail for payment_method.type ${String(method['type'])}`);
  }
  const systemType = String((method['bank_account'] as Json | undefined)?.['system_type']);
  switch (systemType) {
    case 'global':
    case 'iban':
      return 'bank_transfer';
    case 'ru':
      return 'ru';
    case 'faster_payment_system':
      return 'fps';
    case 'faster_payment_system_verification':
      return 'fps_verification';
    default:
      throw new Error(`no rail for bank_account.system_type ${systemType}`);
  }
}
