import { isIPv4, isIPv6 } from 'node:net';
import { invalidRequest } from '../../kernel/errors.js';
import { detectBrand, luhnValid } from '../tokens/card-number.js';
import {
  abaRoutingNumberProblem,
  bikProblem,
  countryAlpha2,
  countryAlpha3,
  cpfProblem,
  ibanProblem,
  innProblem,
  isCalendarDate,
  isIbanCountry,
  isValidAuAccountNumber,
  isValidAuBsb,
  isValidBrAccountNumber,
  isValidBrBranchNumber,
  isValidKpp,
  isValidUkAccountNumber,
  isValidUkSortCode,
  isValidUsAccountNumber,
  isValidWalletAccount,
  isWalletType,
  normalizeRuMobilePhone,
  RU_ACCOUNT_PREFIXES,
  RU_LEGAL_ENTITY_ACCOUNT_PREFIXES,
  RU_SOLE_PROPRIETOR_ACCOUNT_PREFIXES,
  ruAccountPrefix,
  ruAccountProblem,
  swiftBicProblem,
  US_ACCOUNT_TYPES,
  WALLET_ACCOUNT_FORMATS,
  WALLET_TYPES,
} from './destination-checks.js';
import { isFpsBankId } from './fps-banks.js';

/**
 * Rail-level validation of a payout destination (spec §6.8) together with the participant details
 * the destination needs (§6.9): what the request schemas (src/edge/wire/objects.schema.ts) cannot
 * say, because it depends on check digits, on the recipient's country or on another field.
 *
 * It runs on the request as the partner sent it, before card numbers are vaulted, and takes
 * `unknown` so that it never trusts that the schema ran: every shape it relies on is re-checked.
 * The first problem found throws `invalid_request` with a description that names the field path
 * (`payment_method.bank_account.global.iban is not a valid IBAN (checksum failed)`).
 *
 * Order of the checks: the method's fields in the order the SG pages list them, then the
 * recipient's details the destination needs, then the participants' own fields.
 */
export type DestinationField = 'payment_method' | 'payout_details';

type Json = Record<string, unknown>;

interface Participants {
  readonly sender: Json | undefined;
  readonly recipient: Json | undefined;
}

const SENDER = 'participant_details.sender';
const RECIPIENT = 'participant_details.recipient';

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
const isBlank = (value: string): boolean => value.trim() === '';
/** Own properties only: `{}`'s inherited `constructor` is not a field the partner sent. */
const own = (parent: Json, key: string): unknown => (Object.hasOwn(parent, key) ? parent[key] : undefined);
const needs = (why: string | undefined): string => (why ? ` ${why}` : '');

function requiredObject(parent: Json, key: string, path: string): Json {
  const value = own(parent, key);
  if (value === undefined) throw invalidRequest(`${path}.${key} is required`);
  if (!isObject(value)) throw invalidRequest(`${path}.${key} must be a JSON object`);
  return value;
}

function optionalObject(parent: Json, key: string, path: string): Json | undefined {
  const value = own(parent, key);
  if (value === undefined) return undefined;
  if (!isObject(value)) throw invalidRequest(`${path}.${key} must be a JSON object`);
  return value;
}

function optionalString(parent: Json, key: string, path: string): string | undefined {
  const value = own(parent, key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidRequest(`${path}.${key} must be a string`);
  return value;
}

/** A string that must carry something; a blank one is as good as none. `why` names the need. */
function requiredString(parent: Json, key: string, path: string, why?: string): string {
  const value = optionalString(parent, key, path);
  if (value === undefined || isBlank(value)) throw invalidRequest(`${path}.${key} is required${needs(why)}`);
  return value;
}

/** A present, non-blank string, for fields checked only when sent. */
function presentString(parent: Json, key: string, path: string): string | undefined {
  const value = optionalString(parent, key, path);
  return value === undefined || isBlank(value) ? undefined : value;
}

function readParticipants(details: unknown): Participants {
  if (details === undefined || details === null) return { sender: undefined, recipient: undefined };
  if (!isObject(details)) throw invalidRequest('participant_details must be a JSON object');
  return {
    sender: optionalObject(details, 'sender', 'participant_details'),
    recipient: optionalObject(details, 'recipient', 'participant_details'),
  };
}

export function checkPayoutDestination(method: unknown, participantDetails: unknown, field: DestinationField): void {
  if (!isObject(method)) throw invalidRequest(`${field} must be a JSON object`);
  const participants = readParticipants(participantDetails);
  switch (own(method, 'type')) {
    case 'card':
      checkCard(requiredObject(method, 'card', field), `${field}.card`, participants);
      break;
    case 'bank_account':
      checkBankAccount(requiredObject(method, 'bank_account', field), `${field}.bank_account`, participants);
      break;
    case 'wallet':
      checkWallet(requiredObject(method, 'wallet', field), `${field}.wallet`);
      break;
    default:
      throw invalidRequest(`${field}.type must be one of: card, bank_account, wallet`);
  }
  if (participants.sender) checkParticipant(participants.sender, SENDER);
  if (participants.recipient) checkParticipant(participants.recipient, RECIPIENT);
}

// ---------------------------------------------------------------------------------------------
// Cards (seed 001)

function checkCard(card: Json, path: string, participants: Participants): void {
  switch (own(card, 'type')) {
    case 'bank_card': {
      const bankCard = requiredObject(card, 'bank_card', path);
      const numberPath = `${path}.bank_card.number`;
      const number = requiredString(bankCard, 'number', `${path}.bank_card`);
      if (!/^[0-9]{12,19}$/.test(number)) throw invalidRequest(`${numberPath} must be 12 to 19 digits`);
      if (!luhnValid(number)) throw invalidRequest(`${numberPath} is not a valid card number (Luhn check failed)`);
      if (detectBrand(number) === 'unknown') {
        throw invalidRequest(
          `${numberPath} is not a card of a known brand (Visa, Mastercard, Mir, American Express, Diners Club, Discover, JCB, UnionPay)`,
        );
      }
      break;
    }
    case 'encrypted_card':
      requiredString(requiredObject(card, 'encrypted_card', path), 'number_hash', `${path}.encrypted_card`);
      break;
    default:
      throw invalidRequest(`${path}.type must be one of: bank_card, encrypted_card`);
  }
  // Both SG card payout pages mark it mandatory; Russian cards need it as in the passport.
  requiredString(participants.recipient ?? {}, 'full_name', RECIPIENT, 'for a card payout');
}

// ---------------------------------------------------------------------------------------------
// Bank accounts

function checkBankAccount(account: Json, path: string, participants: Participants): void {
  const systemType = own(account, 'system_type');
  switch (systemType) {
    case 'global':
      checkGlobal(requiredObject(account, 'global', path), `${path}.global`, participants);
      break;
    case 'ru':
      checkRu(requiredObject(account, 'ru', path), `${path}.ru`);
      break;
    case 'faster_payment_system':
      checkFps(requiredObject(account, 'faster_payment_system', path), `${path}.faster_payment_system`);
      break;
    case 'iban':
      checkIbanSystem(requiredObject(account, 'iban', path), `${path}.iban`);
      break;
    case 'faster_payment_system_verification':
      // A check that a phone is registered in FPS (§5.16) moves no money.
      throw invalidRequest(`${path}.system_type faster_payment_system_verification is for fps/customer_verification, not for a payout`);
    default:
      throw invalidRequest(`${path}.system_type must be one of: global, ru, faster_payment_system, iban`);
  }
}

function checkIbanField(parent: Json, key: string, path: string): void {
  const value = presentString(parent, key, path);
  const problem = value === undefined ? undefined : ibanProblem(value);
  if (problem) throw invalidRequest(`${path}.${key} is not a valid IBAN (${problem})`);
}

function checkBicField(parent: Json, key: string, path: string): void {
  const value = presentString(parent, key, path);
  const problem = value === undefined ? undefined : swiftBicProblem(value);
  if (problem) throw invalidRequest(`${path}.${key} is not a valid SWIFT BIC (${problem})`);
}

/**
 * The country a participant is in, as an upper-case alpha-3 code, from `country_iso3` or
 * `country_iso2`; both must be ISO 3166 codes and, when both are sent, the same country.
 */
function participantCountry(participant: Json, path: string): string | undefined {
  const iso3 = presentString(participant, 'country_iso3', path);
  const iso2 = presentString(participant, 'country_iso2', path);
  if (iso3 !== undefined && countryAlpha2(iso3) === undefined) {
    throw invalidRequest(`${path}.country_iso3 is not an ISO 3166-1 alpha-3 country code`);
  }
  if (iso2 !== undefined && countryAlpha3(iso2) === undefined) {
    throw invalidRequest(`${path}.country_iso2 is not an ISO 3166-1 alpha-2 country code`);
  }
  if (iso3 !== undefined && iso2 !== undefined && countryAlpha3(iso2) !== iso3.toUpperCase()) {
    throw invalidRequest(`${path}.country_iso2 and ${path}.country_iso3 name different countries`);
  }
  if (iso3 !== undefined) return iso3.toUpperCase();
  return iso2 === undefined ? undefined : countryAlpha3(iso2);
}

/** A person's name as the SG pages send it: `first_name` and `last_name`, or `full_name`. */
function requireRecipientName(recipient: Json, why: string): void {
  if (presentString(recipient, 'full_name', RECIPIENT) !== undefined) return;
  const first = presentString(recipient, 'first_name', RECIPIENT);
  const last = presentString(recipient, 'last_name', RECIPIENT);
  if (first === undefined && last === undefined) {
    throw invalidRequest(`${RECIPIENT}.first_name and last_name, or full_name, are required ${why}`);
  }
  if (first === undefined) throw invalidRequest(`${RECIPIENT}.first_name is required ${why}`);
  if (last === undefined) throw invalidRequest(`${RECIPIENT}.last_name is required ${why}`);
}

/**
 * `global`: the recipient's country picks the account form (the SG country pages): USA, GBR, AUS
 * and BRA have national forms; any other country an IBAN (the SEPA example of seed 000, Hungary,
 * Turkey…), or, where the country issues no IBANs, an account number with the bank's SWIFT BIC.
 */
function checkGlobal(global: Json, path: string, participants: Participants): void {
  requiredString(global, 'description', path);
  const recipient = participants.recipient ?? {};
  const country = participantCountry(recipient, RECIPIENT);
  if (country === undefined) throw invalidRequest(`${RECIPIENT}.country_iso3 is required for a payout to a global bank account`);
  const why = `for a payout to a bank account in ${country}`;
  switch (country) {
    case 'USA':
      checkGlobalUs(global, path, why);
      break;
    case 'GBR':
      checkGlobalUk(global, path, why, recipient);
      break;
    case 'AUS':
      checkGlobalAu(global, path, why);
      break;
    case 'BRA':
      checkGlobalBr(global, path, why);
      break;
    default:
      checkGlobalInternational(global, path, why, countryAlpha2(country) ?? '');
  }
  // Whatever the form, an IBAN or a BIC that is sent must be a valid one.
  checkIbanField(global, 'iban', path);
  checkBicField(global, 'swift_bic_code', path);
  requireRecipientName(recipient, why);
  if (country === 'BRA') checkRecipientCpf(recipient, why);
}

function checkGlobalUs(global: Json, path: string, why: string): void {
  const account = requiredString(global, 'bank_account_number', path, why);
  if (!isValidUsAccountNumber(account)) throw invalidRequest(`${path}.bank_account_number must be 4 to 17 digits`);
  const routing = requiredString(global, 'routing_code', path, why);
  const problem = abaRoutingNumberProblem(routing);
  if (problem) throw invalidRequest(`${path}.routing_code is not a valid ABA routing number (${problem})`);
  const type = requiredString(global, 'account_type', path, why);
  if (!US_ACCOUNT_TYPES.includes(type)) throw invalidRequest(`${path}.account_type must be one of: ${US_ACCOUNT_TYPES.join(', ')} ${why}`);
}

/** UK: `sort_code` + `account_number`, or `iban` + `swift_bic_code`; Revolut only by sort code. */
function checkGlobalUk(global: Json, path: string, why: string, recipient: Json): void {
  const sortCode = presentString(global, 'sort_code', path);
  const accountNumber = presentString(global, 'account_number', path);
  if (sortCode !== undefined || accountNumber !== undefined) {
    requiredString(global, 'sort_code', path, why);
    if (!isValidUkSortCode(sortCode ?? '')) throw invalidRequest(`${path}.sort_code must be 6 digits, as 12-34-56 or 123456`);
    requiredString(global, 'account_number', path, why);
    if (!isValidUkAccountNumber(accountNumber ?? '')) throw invalidRequest(`${path}.account_number must be 8 digits`);
    return;
  }
  const bankName = presentString(recipient, 'bank_name', RECIPIENT);
  if (bankName !== undefined && /revolut/i.test(bankName)) {
    throw invalidRequest(`${path}.sort_code and account_number are required for a payout to a Revolut account`);
  }
  if (presentString(global, 'iban', path) === undefined && presentString(global, 'swift_bic_code', path) === undefined) {
    throw invalidRequest(`${path} needs sort_code and account_number, or iban and swift_bic_code, ${why}`);
  }
  requiredString(global, 'iban', path, why);
  requiredString(global, 'swift_bic_code', path, why);
}

function checkGlobalAu(global: Json, path: string, why: string): void {
  const account = requiredString(global, 'bank_account_number', path, why);
  if (!isValidAuAccountNumber(account)) throw invalidRequest(`${path}.bank_account_number must be 5 to 9 digits`);
  const bsb = requiredString(global, 'bsb_number', path, why);
  if (!isValidAuBsb(bsb)) throw invalidRequest(`${path}.bsb_number must be 6 digits, as 123-456 or 123456`);
}

const BR_ACCOUNT_TYPES = ['CHECKING', 'SAVINGS', 'DEPOSIT', 'OTHERS'] as const;

function checkGlobalBr(global: Json, path: string, why: string): void {
  const account = requiredString(global, 'bank_account_number', path, why);
  if (!isValidBrAccountNumber(account)) {
    throw invalidRequest(`${path}.bank_account_number must be up to 20 digits, with an optional check digit after a hyphen (12345-6)`);
  }
  const branch = requiredString(global, 'branch_number', path, why);
  if (!isValidBrBranchNumber(branch)) {
    throw invalidRequest(`${path}.branch_number must be up to 4 digits, with an optional check digit after a hyphen (1234-5)`);
  }
  const type = requiredString(global, 'account_type', path, why);
  if (!(BR_ACCOUNT_TYPES as readonly string[]).includes(type)) {
    throw invalidRequest(`${path}.account_type must be one of: ${BR_ACCOUNT_TYPES.join(', ')}`);
  }
}

function checkRecipientCpf(recipient: Json, why: string): void {
  const path = `${RECIPIENT}.identity_document`;
  const document = optionalObject(recipient, 'identity_document', RECIPIENT) ?? {};
  const cpf = requiredString(document, 'id_number', path, `${why} (the recipient's CPF)`);
  const problem = cpfProblem(cpf);
  if (problem) throw invalidRequest(`${path}.id_number is not a valid CPF (${problem})`);
}

/** Any other country: an IBAN where the country issues them, else an account number and a BIC. */
function checkGlobalInternational(global: Json, path: string, why: string, alpha2: string): void {
  if (presentString(global, 'iban', path) !== undefined || isIbanCountry(alpha2)) {
    requiredString(global, 'iban', path, why);
    return;
  }
  const account = presentString(global, 'bank_account_number', path) ?? presentString(global, 'account_number', path);
  if (account === undefined) throw invalidRequest(`${path}.bank_account_number or account_number is required ${why}`);
  if (!/^[A-Za-z0-9]{1,34}$/.test(account)) {
    const key = presentString(global, 'bank_account_number', path) !== undefined ? 'bank_account_number' : 'account_number';
    throw invalidRequest(`${path}.${key} must be 1 to 34 letters or digits`);
  }
  requiredString(global, 'swift_bic_code', path, why);
}

// ---------------------------------------------------------------------------------------------
// Russian accounts, FPS, IBAN accounts

const prefixList = (prefixes: readonly string[]): string => prefixes.join(', ');

function checkRu(ru: Json, path: string): void {
  const bik = requiredString(ru, 'bik', path);
  const bikIssue = bikProblem(bik);
  if (bikIssue) throw invalidRequest(`${path}.bik is not a valid BIK (${bikIssue})`);

  const account = requiredString(ru, 'account', path);
  if (!/^[0-9]{20}$/.test(account)) throw invalidRequest(`${path}.account is not a valid account number (it must be 20 digits)`);
  // The prefix before the key: an account of a kind SG refuses is refused whatever its key.
  const prefix = ruAccountPrefix(account);
  if (prefix === undefined) {
    throw invalidRequest(`${path}.account must start with one of the allowed prefixes: ${prefixList(RU_ACCOUNT_PREFIXES)}`);
  }
  const accountIssue = ruAccountProblem(account, bik);
  if (accountIssue) throw invalidRequest(`${path}.account is not a valid account number (${accountIssue})`);
  const legalEntity = RU_LEGAL_ENTITY_ACCOUNT_PREFIXES.includes(prefix);

  const inn = requiredString(ru, 'inn', path);
  const innIssue = innProblem(inn);
  if (innIssue) throw invalidRequest(`${path}.inn is not a valid INN (${innIssue})`);
  if (legalEntity && inn.length !== 10) {
    throw invalidRequest(`${path}.inn must have 10 digits for an account of a legal entity (${prefixList(RU_LEGAL_ENTITY_ACCOUNT_PREFIXES)})`);
  }
  if (!legalEntity && inn.length !== 12) {
    throw invalidRequest(`${path}.inn must have 12 digits for an account of an individual or a sole proprietor (${prefix})`);
  }

  const kpp = presentString(ru, 'kpp', path);
  if (legalEntity && kpp === undefined) {
    throw invalidRequest(`${path}.kpp is required for an account of a legal entity (${prefixList(RU_LEGAL_ENTITY_ACCOUNT_PREFIXES)})`);
  }
  if (kpp !== undefined && !isValidKpp(kpp)) {
    throw invalidRequest(`${path}.kpp must be 9 characters: 4 digits, 2 digits or capital letters, 3 digits`);
  }

  const fullName = requiredString(ru, 'full_name', path);
  if (RU_SOLE_PROPRIETOR_ACCOUNT_PREFIXES.includes(prefix) && !/^ИП\s+\S/u.test(fullName.trim())) {
    throw invalidRequest(`${path}.full_name must read "ИП <full name>" for an account of a sole proprietor (${prefix})`);
  }
  requiredString(ru, 'description', path);
  const isFast = own(ru, 'is_fast');
  if (isFast !== undefined && typeof isFast !== 'boolean') throw invalidRequest(`${path}.is_fast must be a boolean`);
}

function checkFps(fps: Json, path: string): void {
  const phone = requiredString(fps, 'phone', path);
  if (normalizeRuMobilePhone(phone) === undefined) {
    throw invalidRequest(`${path}.phone must be a Russian mobile number, 79XXXXXXXXX or +79XXXXXXXXX`);
  }
  const bankId = requiredString(fps, 'bank_id', path);
  if (!isFpsBankId(bankId)) throw invalidRequest(`${path}.bank_id is not the id of an FPS bank (see fps/banks)`);
  requiredString(fps, 'description', path);
}

/** [V-131] `{system_type: "iban", iban: {account}}`: the account is the IBAN. */
function checkIbanSystem(iban: Json, path: string): void {
  requiredString(iban, 'account', path);
  checkIbanField(iban, 'account', path);
}

// ---------------------------------------------------------------------------------------------
// Wallets

/**
 * `wallet: {type, <type>: {account, description?}}` as the Bank 131 pages send it; the schema also
 * accepts `account` next to `type`, so either place is read, and both must agree when both are sent.
 */
function checkWallet(wallet: Json, path: string): void {
  const type = own(wallet, 'type');
  if (typeof type !== 'string' || !isWalletType(type)) throw invalidRequest(`${path}.type must be one of: ${WALLET_TYPES.join(', ')}`);
  const inner = optionalObject(wallet, type, path);
  const innerPath = `${path}.${type}`;
  const innerAccount = inner && presentString(inner, 'account', innerPath);
  const flatAccount = presentString(wallet, 'account', path);
  if (innerAccount !== undefined && flatAccount !== undefined && innerAccount !== flatAccount) {
    throw invalidRequest(`${path}.account and ${innerPath}.account differ`);
  }
  const account = innerAccount ?? flatAccount;
  if (account === undefined) throw invalidRequest(`${innerPath}.account is required`);
  if (!isValidWalletAccount(type, account)) {
    const accountPath = innerAccount !== undefined ? `${innerPath}.account` : `${path}.account`;
    throw invalidRequest(`${accountPath} must be ${WALLET_ACCOUNT_FORMATS[type].description}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Participants (§6.9): the fields whose limits need more than a length

function checkParticipant(participant: Json, path: string): void {
  participantCountry(participant, path);
  const citizenship = presentString(participant, 'citizenship_country_iso_3', path);
  if (citizenship !== undefined && countryAlpha2(citizenship) === undefined) {
    throw invalidRequest(`${path}.citizenship_country_iso_3 is not an ISO 3166-1 alpha-3 country code`);
  }
  const company = presentString(participant, 'company_name', path);
  if (company !== undefined && /^[0-9\s]+$/.test(company)) throw invalidRequest(`${path}.company_name must not be digits only`);
  checkBicField(participant, 'swift_bic_code', path);
  const birth = presentString(participant, 'date_of_birth', path);
  if (birth !== undefined && !isCalendarDate(birth)) throw invalidRequest(`${path}.date_of_birth must be a date, YYYY-MM-DD`);
  const ipv4 = presentString(participant, 'ipv4', path);
  if (ipv4 !== undefined && !isIPv4(ipv4)) throw invalidRequest(`${path}.ipv4 must be an IPv4 address`);
  const ipv6 = presentString(participant, 'ipv6', path);
  if (ipv6 !== undefined && !isIPv6(ipv6)) throw invalidRequest(`${path}.ipv6 must be an IPv6 address`);
}
