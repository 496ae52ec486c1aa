/**
 * The banks the sandbox knows in the Russian Faster Payment System (FPS, СБП): what `fps/banks`
 * answers and what a `faster_payment_system` payout's `bank_id` is checked against (spec §5.16,
 * §6.8). The shape is the one of the `fps/banks` response, `{id, eng_name, ru_name}`.
 *
 * The ids are the 12-digit member ids the FPS operator (NSPK) gives these banks, so that a request
 * written for the real service, such as the SG page's `100000000069`, passes here unchanged. The
 * live list is much longer and changes; this one is the sandbox's own, kept short on purpose.
 */
export interface FpsBank {
  readonly id: string;
  readonly eng_name: string;
  readonly ru_name: string;
}

const bank = (id: string, eng_name: string, ru_name: string): FpsBank => Object.freeze({ id, eng_name, ru_name });

export const FPS_BANKS: readonly FpsBank[] = Object.freeze([
  bank('100000000001', 'Gazprombank', 'Газпромбанк'),
  bank('100000000004', 'T-Bank', 'Т-Банк'),
  bank('100000000007', 'Raiffeisenbank', 'Райффайзенбанк'),
  bank('100000000008', 'Alfa-Bank', 'Альфа-Банк'),
  bank('100000000010', 'Promsvyazbank', 'Промсвязьбанк'),
  bank('100000000012', 'Rosbank', 'Росбанк'),
  bank('100000000013', 'Sovcombank', 'Совкомбанк'),
  bank('100000000016', 'Pochta Bank', 'Почта Банк'),
  bank('100000000017', 'MTS Bank', 'МТС-Банк'),
  bank('100000000020', 'Rosselkhozbank', 'Россельхозбанк'),
  // The id of the SG documentation's FPS examples.
  bank('100000000069', 'SDM-Bank', 'СДМ-Банк'),
  bank('100000000111', 'Sberbank', 'Сбербанк'),
]);

/** The bank with this FPS id, or undefined. Ids are compared as given: they are digit strings. */
export function findFpsBank(id: string): FpsBank | undefined {
  return FPS_BANKS.find((b) => b.id === id);
}

export function isFpsBankId(id: string): boolean {
  return findFpsBank(id) !== undefined;
}
