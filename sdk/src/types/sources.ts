/**
 * Where money comes from (payment_details, §6.7) and where it goes (the payout destination, §6.8:
 * v1 `payment_method`, v2 `payout_details`), as a request sends them. Each is a union tagged by
 * `type` (a bank account by `system_type`), as the server's discriminated schemas are.
 */

export interface BankCard {
  /** 12 to 19 digits, Luhn-valid. */
  number: string;
  /** MM */
  expiration_month: string;
  /** YY */
  expiration_year: string;
  security_code?: string;
  cardholder_name?: string;
}

export interface EncryptedCard {
  number_hash: string;
  expiration_date_hash?: string;
  security_code_hash?: string;
  cardholder_name_hash?: string;
}

export type PaymentCard =
  | { type: 'bank_card'; bank_card: BankCard }
  | { type: 'encrypted_card'; encrypted_card: EncryptedCard }
  | { type: 'tokenized_card'; tokenized_card: { token: string } };

export interface RecurrentDetails {
  token: string;
  /** merchant: merchant-initiated (MIT); client: the payer is present (CIT). */
  initiator?: 'merchant' | 'client';
  security_code?: string;
}

export type SecuredCard = { type: 'google_pay'; google_pay: { token: string } } | { type: 'apple_pay'; apple_pay: { token: string } };

export type InternetBankingProvider = 'sber_pay' | 'tpay' | 'alipay' | 'pix';
export type WalletProvider = 'yoomoney' | 'moneta' | 'steam';

/** The payment source of session/init/payment, session/start/payment and session/create. */
export type PaymentDetails =
  | { type: 'card'; card: PaymentCard }
  | { type: 'recurrent'; recurrent: RecurrentDetails }
  | { type: 'faster_payment_system' }
  | { type: 'secured_card'; secured_card: SecuredCard }
  | {
      type: 'internet_banking';
      internet_banking: { type: InternetBankingProvider; sber_pay?: { channel: 'app' | 'web' | 'mobile_web'; phone?: string } };
    }
  | { type: 'wallet'; wallet: { type: WalletProvider } };

export interface PayoutBankCard {
  number: string;
  expiration_month?: string;
  expiration_year?: string;
  security_code?: string;
  cardholder_name?: string;
}

export type PayoutCard = { type: 'bank_card'; bank_card: PayoutBankCard } | { type: 'encrypted_card'; encrypted_card: EncryptedCard };

export interface GlobalBankAccount {
  /** Purpose of remittance. */
  description: string;
  iban?: string;
  swift_bic_code?: string;
  bank_account_number?: string;
  account_number?: string;
  account_type?: 'CHECKING' | 'SAVINGS' | 'DEPOSIT' | 'OTHERS';
  routing_code?: string;
  sort_code?: string;
  bsb_number?: string;
  branch_number?: string;
}

export interface RuBankAccount {
  bik: string;
  account: string;
  full_name: string;
  description: string;
  /** 10 or 12 digits. */
  inn: string;
  kpp?: string;
  is_fast?: boolean;
}

export type BankAccount =
  | { system_type: 'global'; global: GlobalBankAccount }
  | { system_type: 'ru'; ru: RuBankAccount }
  | { system_type: 'faster_payment_system'; faster_payment_system: { phone: string; bank_id: string; description: string } }
  | { system_type: 'faster_payment_system_verification'; faster_payment_system_verification: { phone?: string; bank_id?: string } }
  | { system_type: 'iban'; iban: { account?: string } };

export interface PayoutWallet {
  /** e.g. qiwi, yoomoney, moneta, steam */
  type: string;
  account?: string;
  description?: string;
}

/** A payout destination: v1 calls it `payment_method`, v2 `payout_details`. */
export type PaymentMethod =
  | { type: 'card'; card: PayoutCard }
  | { type: 'bank_account'; bank_account: BankAccount }
  | { type: 'wallet'; wallet: PayoutWallet };

export interface FiscalizationService {
  name: string;
  amount_details: { amount: number; currency: string };
  quantity: number;
}

export interface ProfessionalIncomeTaxpayer {
  services: FiscalizationService[];
  /** The recipient's 12-digit INN. */
  tax_reference: string;
  payer_type?: 'legal' | 'individual' | 'foreign';
  payer_tax_number?: string;
  payer_name?: string;
}

/** Payouts to the self-employed (session/init|start/payout/fiscalization), as a request sends them. */
export interface FiscalizationDetails {
  professional_income_taxpayer: ProfessionalIncomeTaxpayer;
}
