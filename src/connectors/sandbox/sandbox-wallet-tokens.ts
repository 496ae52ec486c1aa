import type { DecryptedWalletCard, WalletTokenDecrypter } from '../../domain/payments/card-processor.port.js';

/**
 * The sandbox's wallet test tokens (docs/test-cards.md): each opens to one of the test cards, so a
 * tokenized card, Google Pay or Apple Pay payment shows every outcome a card has. The same tokens
 * work for all three kinds; any other token cannot be opened.
 */
export const TEST_WALLET_TOKENS: ReadonlyMap<string, DecryptedWalletCard> = new Map([
  ['tok_sandbox_success', { number: '4242424242424242', expirationMonth: '12', expirationYear: '30' }],
  ['tok_sandbox_mastercard', { number: '5555555555554444', expirationMonth: '12', expirationYear: '30' }],
  ['tok_sandbox_3ds', { number: '4000000000003220', expirationMonth: '12', expirationYear: '30' }],
  ['tok_sandbox_decline', { number: '4000000000000002', expirationMonth: '12', expirationYear: '30' }],
  ['tok_sandbox_insufficient_funds', { number: '4000000000009995', expirationMonth: '12', expirationYear: '30' }],
]);

export class SandboxWalletTokens implements WalletTokenDecrypter {
  decrypt(_wallet: 'tokenized_card' | 'google_pay' | 'apple_pay', token: string): DecryptedWalletCard | undefined {
    return TEST_WALLET_TOKENS.get(token);
  }
}
