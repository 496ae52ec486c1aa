import { assertNever } from '../../kernel/assert-never.js';
import type { PayoutDestination } from './payout-destination.js';

/**
 * The rails a payout travels on, one typed record each: how a destination chooses it, whether it
 * moves money, and the identifier it routes on. `RAIL_SPECS` must name every rail (`satisfies`), so a
 * new rail that lacks a part does not compile; nor does a sandbox without its settle delay
 * (connectors/sandbox/sandbox-rails.ts types its table by `Rail` too).
 */
export const RAILS = ['card', 'bank_transfer', 'ru', 'fps', 'wallet', 'fps_verification'] as const;
export type Rail = (typeof RAILS)[number];

export interface RailSpec {
  /** The destination that selects this rail, for docs and error messages. */
  readonly destination: string;
  /** false for a check that moves no money (FPS customer verification). */
  readonly movesMoney: boolean;
  /** The account identifier the rail routes on; a card number is revealed from the vault. */
  routingKey(destination: PayoutDestination, revealCard: (cardId: string) => Promise<string>): Promise<string>;
}

/** An account identifier without the spaces people type in IBANs and account numbers. */
const compact = (value: unknown): string => String(value ?? '').replace(/\s+/g, '');

const field = (d: PayoutDestination, ...names: string[]): string => {
  const fields = d.type === 'bank_account' ? d.account : d.type === 'wallet' ? d.wallet : {};
  return compact(names.map((n) => fields[n]).find((v) => v !== undefined));
};

const bankAccount = (d: PayoutDestination): Promise<string> => Promise.resolve(field(d, 'iban', 'bank_account_number', 'account_number', 'account'));
const phone = (d: PayoutDestination): Promise<string> => Promise.resolve(field(d, 'phone'));

export const RAIL_SPECS = {
  card: {
    destination: 'payment_method.type card',
    movesMoney: true,
    routingKey: (d, reveal) => (d.type === 'card' ? reveal(d.card.card_id) : Promise.reject(new Error('a card payout without a card'))),
  },
  bank_transfer: { destination: 'bank_account.system_type global or iban', movesMoney: true, routingKey: bankAccount },
  ru: { destination: 'bank_account.system_type ru', movesMoney: true, routingKey: bankAccount },
  fps: { destination: 'bank_account.system_type faster_payment_system', movesMoney: true, routingKey: phone },
  wallet: { destination: 'payment_method.type wallet', movesMoney: true, routingKey: (d) => Promise.resolve(field(d, 'account')) },
  fps_verification: { destination: 'fps/customer_verification', movesMoney: false, routingKey: phone },
} as const satisfies Record<Rail, RailSpec>;

/** The rail a destination travels on: every destination has exactly one (the switch is exhaustive). */
export function railOf(d: PayoutDestination): Rail {
  switch (d.type) {
    case 'card':
      return 'card';
    case 'wallet':
      return 'wallet';
    case 'bank_account':
      switch (d.systemType) {
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
          return assertNever(d.systemType, 'bank system type');
      }
    default:
      return assertNever(d, 'payout destination');
  }
}
