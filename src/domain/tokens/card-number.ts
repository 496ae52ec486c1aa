/** Card-number facts that need no vault: Luhn, brand by BIN range, and the masked parts. */
export type CardBrand = 'visa' | 'mastercard' | 'amex' | 'discover' | 'jcb' | 'diners' | 'mir' | 'unionpay' | 'unknown';

export function luhnValid(number: string): boolean {
  if (!/^\d{12,19}$/.test(number)) return false;
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let d = number.charCodeAt(number.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const inRange = (prefix: number, lo: number, hi: number) => prefix >= lo && prefix <= hi;

/** Brand by issuer identification number ranges (ISO/IEC 7812 as the networks publish them). */
export function detectBrand(number: string): CardBrand {
  const p2 = Number(number.slice(0, 2));
  const p3 = Number(number.slice(0, 3));
  const p4 = Number(number.slice(0, 4));
  const p6 = Number(number.slice(0, 6));
  if (inRange(p4, 2200, 2204)) return 'mir';
  if (p2 === 34 || p2 === 37) return 'amex';
  if (inRange(p3, 300, 305) || p2 === 36 || p2 === 38 || p2 === 39 || p4 === 3095) return 'diners';
  if (inRange(p4, 3528, 3589)) return 'jcb';
  if (p4 === 6011 || p2 === 65 || inRange(p3, 644, 649) || inRange(p6, 622126, 622925)) return 'discover';
  if (p2 === 62) return 'unionpay';
  if (inRange(p2, 51, 55) || inRange(p6, 222100, 272099)) return 'mastercard';
  if (number.startsWith('4')) return 'visa';
  return 'unknown';
}

export interface MaskedCard {
  readonly brand: CardBrand;
  readonly bin: string;
  readonly last4: string;
}

export function maskCard(number: string): MaskedCard {
  return { brand: detectBrand(number), bin: number.slice(0, 6), last4: number.slice(-4) };
}
