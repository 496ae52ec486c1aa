/**
 * Rail-level checks of payout destinations (spec §6.8): the formats and check digits of bank
 * identifiers that a JSON schema cannot express. Pure functions, no I/O, no state.
 *
 * Conventions:
 * - `xxxProblem(value)` returns why the value is not valid, as a short phrase that reads after
 *   "is not a valid IBAN" in parentheses ("checksum failed"), or undefined when the value is valid;
 *   `isValidXxx(value)` is its boolean form;
 * - `normalizeXxx(value)` returns the one canonical spelling (digits only, upper case…), or
 *   undefined where only some spellings are accepted and the value is none of them;
 * - upper-casing is ASCII-only: `toUpperCase` maps some non-ASCII letters onto ASCII ones
 *   ("ı" → "I"), which must not turn a wrong identifier into a valid one.
 */

const upperAscii = (value: string): string => value.replace(/[a-z]+/g, (run) => run.toUpperCase());

const isDigits = (value: string, min: number, max = min): boolean =>
  new RegExp(`^[0-9]{${min},${max}}$`).test(value);

// ---------------------------------------------------------------------------------------------
// Countries (ISO 3166-1)

/**
 * Every officially assigned ISO 3166-1 alpha-2 code with its alpha-3 code (249 entries, from the
 * iso-codes 4.15 table of ISO 3166-1), plus Kosovo's user-assigned XK / XKX: SWIFT issues BICs
 * with XK and the IBAN registry has XK IBANs, so a code list without it would refuse real accounts.
 */
const COUNTRY_ALPHA3: Readonly<Record<string, string>> = Object.freeze({
  AD: 'AND', AE: 'ARE', AF: 'AFG', AG: 'ATG', AI: 'AIA', AL: 'ALB', AM: 'ARM', AO: 'AGO', AQ: 'ATA', AR: 'ARG',
  AS: 'ASM', AT: 'AUT', AU: 'AUS', AW: 'ABW', AX: 'ALA', AZ: 'AZE',
  BA: 'BIH', BB: 'BRB', BD: 'BGD', BE: 'BEL', BF: 'BFA', BG: 'BGR', BH: 'BHR', BI: 'BDI', BJ: 'BEN', BL: 'BLM',
  BM: 'BMU', BN: 'BRN', BO: 'BOL', BQ: 'BES', BR: 'BRA', BS: 'BHS', BT: 'BTN', BV: 'BVT', BW: 'BWA', BY: 'BLR',
  BZ: 'BLZ',
  CA: 'CAN', CC: 'CCK', CD: 'COD', CF: 'CAF', CG: 'COG', CH: 'CHE', CI: 'CIV', CK: 'COK', CL: 'CHL', CM: 'CMR',
  CN: 'CHN', CO: 'COL', CR: 'CRI', CU: 'CUB', CV: 'CPV', CW: 'CUW', CX: 'CXR', CY: 'CYP', CZ: 'CZE',
  DE: 'DEU', DJ: 'DJI', DK: 'DNK', DM: 'DMA', DO: 'DOM', DZ: 'DZA',
  EC: 'ECU', EE: 'EST', EG: 'EGY', EH: 'ESH', ER: 'ERI', ES: 'ESP', ET: 'ETH',
  FI: 'FIN', FJ: 'FJI', FK: 'FLK', FM: 'FSM', FO: 'FRO', FR: 'FRA',
  GA: 'GAB', GB: 'GBR', GD: 'GRD', GE: 'GEO', GF: 'GUF', GG: 'GGY', GH: 'GHA', GI: 'GIB', GL: 'GRL', GM: 'GMB',
  GN: 'GIN', GP: 'GLP', GQ: 'GNQ', GR: 'GRC', GS: 'SGS', GT: 'GTM', GU: 'GUM', GW: 'GNB', GY: 'GUY',
  HK: 'HKG', HM: 'HMD', HN: 'HND', HR: 'HRV', HT: 'HTI', HU: 'HUN',
  ID: 'IDN', IE: 'IRL', IL: 'ISR', IM: 'IMN', IN: 'IND', IO: 'IOT', IQ: 'IRQ', IR: 'IRN', IS: 'ISL', IT: 'ITA',
  JE: 'JEY', JM: 'JAM', JO: 'JOR', JP: 'JPN',
  KE: 'KEN', KG: 'KGZ', KH: 'KHM', KI: 'KIR', KM: 'COM', KN: 'KNA', KP: 'PRK', KR: 'KOR', KW: 'KWT', KY: 'CYM',
  KZ: 'KAZ',
  LA: 'LAO', LB: 'LBN', LC: 'LCA', LI: 'LIE', LK: 'LKA', LR: 'LBR', LS: 'LSO', LT: 'LTU', LU: 'LUX', LV: 'LVA',
  LY: 'LBY',
  MA: 'MAR', MC: 'MCO', MD: 'MDA', ME: 'MNE', MF: 'MAF', MG: 'MDG', MH: 'MHL', MK: 'MKD', ML: 'MLI', MM: 'MMR',
  MN: 'MNG', MO: 'MAC', MP: 'MNP', MQ: 'MTQ', MR: 'MRT', MS: 'MSR', MT: 'MLT', MU: 'MUS', MV: 'MDV', MW: 'MWI',
  MX: 'MEX', MY: 'MYS', MZ: 'MOZ',
  NA: 'NAM', NC: 'NCL', NE: 'NER', NF: 'NFK', NG: 'NGA', NI: 'NIC', NL: 'NLD', NO: 'NOR', NP: 'NPL', NR: 'NRU',
  NU: 'NIU', NZ: 'NZL',
  OM: 'OMN',
  PA: 'PAN', PE: 'PER', PF: 'PYF', PG: 'PNG', PH: 'PHL', PK: 'PAK', PL: 'POL', PM: 'SPM', PN: 'PCN', PR: 'PRI',
  PS: 'PSE', PT: 'PRT', PW: 'PLW', PY: 'PRY',
  QA: 'QAT',
  RE: 'REU', RO: 'ROU', RS: 'SRB', RU: 'RUS', RW: 'RWA',
  SA: 'SAU', SB: 'SLB', SC: 'SYC', SD: 'SDN', SE: 'SWE', SG: 'SGP', SH: 'SHN', SI: 'SVN', SJ: 'SJM', SK: 'SVK',
  SL: 'SLE', SM: 'SMR', SN: 'SEN', SO: 'SOM', SR: 'SUR', SS: 'SSD', ST: 'STP', SV: 'SLV', SX: 'SXM', SY: 'SYR',
  SZ: 'SWZ',
  TC: 'TCA', TD: 'TCD', TF: 'ATF', TG: 'TGO', TH: 'THA', TJ: 'TJK', TK: 'TKL', TL: 'TLS', TM: 'TKM', TN: 'TUN',
  TO: 'TON', TR: 'TUR', TT: 'TTO', TV: 'TUV', TW: 'TWN', TZ: 'TZA',
  UA: 'UKR', UG: 'UGA', UM: 'UMI', US: 'USA', UY: 'URY', UZ: 'UZB',
  VA: 'VAT', VC: 'VCT', VE: 'VEN', VG: 'VGB', VI: 'VIR', VN: 'VNM', VU: 'VUT',
  WF: 'WLF', WS: 'WSM',
  YE: 'YEM', YT: 'MYT',
  ZA: 'ZAF', ZM: 'ZMB', ZW: 'ZWE',
  // User-assigned, not ISO: see above.
  XK: 'XKX',
});

const COUNTRY_ALPHA2: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(Object.entries(COUNTRY_ALPHA3).map(([alpha2, alpha3]) => [alpha3, alpha2])),
);

/** The alpha-3 code of an alpha-2 code, case-insensitive (`be` → `BEL`), or undefined. */
export function countryAlpha3(alpha2: string): string | undefined {
  if (!/^[A-Za-z]{2}$/.test(alpha2)) return undefined;
  const key = alpha2.toUpperCase();
  return Object.hasOwn(COUNTRY_ALPHA3, key) ? COUNTRY_ALPHA3[key] : undefined;
}

/** The alpha-2 code of an alpha-3 code, case-insensitive (`bel` → `BE`), or undefined. */
export function countryAlpha2(alpha3: string): string | undefined {
  if (!/^[A-Za-z]{3}$/.test(alpha3)) return undefined;
  const key = alpha3.toUpperCase();
  return Object.hasOwn(COUNTRY_ALPHA2, key) ? COUNTRY_ALPHA2[key] : undefined;
}

export const isCountryAlpha2 = (code: string): boolean => countryAlpha3(code) !== undefined;
export const isCountryAlpha3 = (code: string): boolean => countryAlpha2(code) !== undefined;

// ---------------------------------------------------------------------------------------------
// IBAN (ISO 13616)

/**
 * IBAN length by country, for every country of the SWIFT IBAN registry (release of 2025).
 * Territories that use a parent country's IBANs (French overseas departments, Åland, the Channel
 * Islands…) have no entry of their own: their IBANs start with FR, FI, GB….
 */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = Object.freeze({
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28,
  BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24,
  DE: 22, DJ: 27, DK: 18, DO: 28,
  EE: 20, EG: 29, ES: 24,
  FI: 18, FK: 18, FO: 18, FR: 27,
  GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28,
  HN: 28, HR: 21, HU: 28,
  IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27,
  JO: 30,
  KW: 30, KZ: 20,
  LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25,
  MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30,
  NI: 28, NL: 18, NO: 15,
  OM: 23,
  PK: 24, PL: 28, PS: 29, PT: 25,
  QA: 29,
  RO: 24, RS: 22, RU: 33,
  SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28,
  TL: 23, TN: 24, TR: 26,
  UA: 29,
  VA: 22, VG: 24,
  XK: 20,
  YE: 30,
});

/** Whether the country (alpha-2, any case) issues IBANs. */
export function isIbanCountry(alpha2: string): boolean {
  const key = upperAscii(alpha2);
  return /^[A-Z]{2}$/.test(key) && Object.hasOwn(IBAN_LENGTHS, key);
}

/** The electronic form: no spaces (the print form groups by four), upper case. */
export function normalizeIban(value: string): string {
  return upperAscii(value.replace(/\s+/g, ''));
}

/** ISO 7064 MOD 97-10 of an alphanumeric string, letters counting as 10 (A) to 35 (Z). */
function mod97(value: string): number {
  let remainder = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const n = code <= 57 ? code - 48 : code - 55;
    remainder = (n < 10 ? remainder * 10 + n : remainder * 100 + n) % 97;
  }
  return remainder;
}

export function ibanProblem(value: string): string | undefined {
  const iban = normalizeIban(value);
  if (iban === '') return 'empty';
  if (!/^[A-Z0-9]+$/.test(iban)) return 'only letters, digits and spaces are allowed';
  if (!/^[A-Z]{2}[0-9]{2}/.test(iban)) return 'it must start with a country code and two check digits';
  const country = iban.slice(0, 2);
  const length = Object.hasOwn(IBAN_LENGTHS, country) ? IBAN_LENGTHS[country] : undefined;
  if (length === undefined) return `${country} is not a country of the IBAN registry`;
  if (iban.length !== length) return `${country} IBANs have ${length} characters, not ${iban.length}`;
  // Check digits are 98 - (n mod 97), so always 02..98; 00, 01 and 99 are the same residues as
  // 97, 98 and 02 and would pass the mod-97 test below.
  const check = iban.slice(2, 4);
  if (check === '00' || check === '01' || check === '99') return `check digits ${check} are never issued`;
  if (mod97(iban.slice(4) + iban.slice(0, 4)) !== 1) return 'checksum failed';
  return undefined;
}

export const isValidIban = (value: string): boolean => ibanProblem(value) === undefined;

// ---------------------------------------------------------------------------------------------
// SWIFT BIC (ISO 9362)

const BIC_PATTERN = /^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/;

/** Upper case, no spaces: BICs are printed in capitals but often typed otherwise. */
export function normalizeSwiftBic(value: string): string {
  return upperAscii(value.replace(/\s+/g, ''));
}

export function swiftBicProblem(value: string): string | undefined {
  const bic = normalizeSwiftBic(value);
  if (bic.length !== 8 && bic.length !== 11) return 'it must have 8 or 11 characters';
  if (!BIC_PATTERN.test(bic)) {
    return 'it must be a 4-letter bank code, a 2-letter country code, a 2-character location code and an optional 3-character branch code';
  }
  const country = bic.slice(4, 6);
  if (!isCountryAlpha2(country)) return `${country} is not an ISO 3166 country code`;
  return undefined;
}

export const isValidSwiftBic = (value: string): boolean => swiftBicProblem(value) === undefined;

// ---------------------------------------------------------------------------------------------
// United States

/**
 * The first two digits of a routing number (the Federal Reserve routing symbol): 00 the US
 * government, 01–12 the Federal Reserve districts, 21–32 thrift institutions, 61–72 electronic
 * transactions, 80 traveller's cheques. Nothing else is ever issued, and "000000000" (which
 * passes the checksum) would otherwise be accepted.
 */
function isRoutingSymbol(prefix: number): boolean {
  return (prefix >= 1 && prefix <= 12) || (prefix >= 21 && prefix <= 32) || (prefix >= 61 && prefix <= 72) || prefix === 80 || prefix === 0;
}

export function abaRoutingNumberProblem(value: string): string | undefined {
  if (!isDigits(value, 9)) return 'it must be 9 digits';
  if (value === '000000000') return 'it is all zeros';
  const prefix = Number(value.slice(0, 2));
  if (!isRoutingSymbol(prefix)) return `${value.slice(0, 2)} is not a Federal Reserve routing symbol`;
  const d = [...value].map(Number) as [number, number, number, number, number, number, number, number, number];
  const sum = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8]);
  return sum % 10 === 0 ? undefined : 'checksum failed';
}

export const isValidAbaRoutingNumber = (value: string): boolean => abaRoutingNumberProblem(value) === undefined;

/** US account numbers have no national format; 4 to 17 digits is what ACH carries. */
export const isValidUsAccountNumber = (value: string): boolean => isDigits(value, 4, 17);

/** The `account_type` values the SG US page accepts (the schema also allows DEPOSIT and OTHERS). */
export const US_ACCOUNT_TYPES: readonly string[] = Object.freeze(['CHECKING', 'SAVINGS']);

// ---------------------------------------------------------------------------------------------
// United Kingdom

/** `12-34-56` or `123456` → `123456`; anything else → undefined. */
export function normalizeUkSortCode(value: string): string | undefined {
  if (/^[0-9]{6}$/.test(value)) return value;
  if (/^[0-9]{2}-[0-9]{2}-[0-9]{2}$/.test(value)) return value.replace(/-/g, '');
  return undefined;
}

export const isValidUkSortCode = (value: string): boolean => normalizeUkSortCode(value) !== undefined;
export const isValidUkAccountNumber = (value: string): boolean => isDigits(value, 8);

// ---------------------------------------------------------------------------------------------
// Australia

/** `123-456` or `123456` → `123456`; anything else → undefined. */
export function normalizeAuBsb(value: string): string | undefined {
  if (/^[0-9]{6}$/.test(value)) return value;
  if (/^[0-9]{3}-[0-9]{3}$/.test(value)) return value.replace('-', '');
  return undefined;
}

export const isValidAuBsb = (value: string): boolean => normalizeAuBsb(value) !== undefined;
export const isValidAuAccountNumber = (value: string): boolean => isDigits(value, 5, 9);

// ---------------------------------------------------------------------------------------------
// Brazil

/** `529.982.247-25` or `52998224725` → `52998224725`; anything else → undefined. */
export function normalizeCpf(value: string): string | undefined {
  if (/^[0-9]{11}$/.test(value)) return value;
  if (/^[0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}$/.test(value)) return value.replace(/[.-]/g, '');
  return undefined;
}

/** A CPF check digit: weights n+1 down to 2 over the first n digits, 11 - sum mod 11, 10 and 11 → 0. */
function cpfCheckDigit(digits: readonly number[], n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (digits[i] ?? 0) * (n + 1 - i);
  const remainder = sum % 11;
  return remainder < 2 ? 0 : 11 - remainder;
}

export function cpfProblem(value: string): string | undefined {
  const cpf = normalizeCpf(value);
  if (cpf === undefined) return 'it must be 11 digits, as 52998224725 or 529.982.247-25';
  // 000.000.000-00 … 999.999.999-99 pass the check digits; the Receita Federal never issues them.
  if (/^(\d)\1{10}$/.test(cpf)) return 'all its digits are the same';
  const d = [...cpf].map(Number);
  if (cpfCheckDigit(d, 9) !== d[9] || cpfCheckDigit(d, 10) !== d[10]) return 'check digits do not match';
  return undefined;
}

export const isValidCpf = (value: string): boolean => cpfProblem(value) === undefined;

/**
 * Brazilian branch (agência) and account (conta) numbers: digits, optionally followed by a hyphen
 * and a check digit (DV), which Banco do Brasil writes as `X` when it is 10. The branch has at most
 * 4 digits and the account at most 20, the limits of the Central Bank's payment messages.
 */
export const isValidBrBranchNumber = (value: string): boolean => /^[0-9]{1,4}(-[0-9Xx])?$/.test(value);
export const isValidBrAccountNumber = (value: string): boolean => /^[0-9]{1,20}(-[0-9Xx])?$/.test(value);

// ---------------------------------------------------------------------------------------------
// Russia

/**
 * The accounts SG pays out to (the "Payouts to Russia" page: a payout to any other account
 * fails). All are rouble accounts (`810` in digits 6–8):
 * - 40817810 individuals (residents), 40820810 individuals (non-residents);
 * - 42301810 … 42307810 individuals' deposits (on demand and term);
 * - 40802810 sole proprietors (ИП);
 * - 40502810 commercial organisations in federal ownership, 40702810 other commercial
 *   organisations: the two legal-entity kinds.
 */
export const RU_ACCOUNT_PREFIXES: readonly string[] = Object.freeze([
  '40817810',
  '42301810',
  '42302810',
  '42303810',
  '42304810',
  '42305810',
  '42306810',
  '42307810',
  '40802810',
  '40502810',
  '40820810',
  '40702810',
]);

/** Accounts of legal entities: their INN has 10 digits and SG needs their KPP. */
export const RU_LEGAL_ENTITY_ACCOUNT_PREFIXES: readonly string[] = Object.freeze(['40502810', '40702810']);

/** Accounts of sole proprietors: SG wants `full_name` as `ИП <full name>`. */
export const RU_SOLE_PROPRIETOR_ACCOUNT_PREFIXES: readonly string[] = Object.freeze(['40802810']);

/** The allowed prefix the account starts with, or undefined. */
export function ruAccountPrefix(account: string): string | undefined {
  return RU_ACCOUNT_PREFIXES.find((prefix) => account.startsWith(prefix));
}

/**
 * A BIK of a Russian participant of the Bank of Russia payment system: 9 digits, starting with
 * the country code 04. (Treasury BIKs start with 01 and are not payout destinations.)
 */
export function bikProblem(value: string): string | undefined {
  if (!isDigits(value, 9)) return 'it must be 9 digits';
  if (!value.startsWith('04')) return 'it must start with 04';
  return undefined;
}

export const isValidBik = (value: string): boolean => bikProblem(value) === undefined;

const RU_ACCOUNT_WEIGHTS = [7, 1, 3] as const;

/**
 * The Bank of Russia's control key of an account (the 9th digit), for an account held at a credit
 * institution: the last three digits of the BIK followed by the 20 digits of the account, weighted
 * 7, 1, 3, 7, 1, 3…, sum to a multiple of 10. (The rule's other variant, "0" and BIK digits 5–6,
 * is for accounts at the Bank of Russia's own units and for correspondent accounts, which are
 * never payout destinations.) Both arguments must already be well-formed.
 */
export function ruAccountKeyMatches(bik: string, account: string): boolean {
  const digits = bik.slice(-3) + account;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) sum += (digits.charCodeAt(i) - 48) * (RU_ACCOUNT_WEIGHTS[i % 3] ?? 0);
  return sum % 10 === 0;
}

/** The account's own checks (not the allowed prefixes: those are a rail rule, see above). */
export function ruAccountProblem(account: string, bik: string): string | undefined {
  if (!isDigits(account, 20)) return 'it must be 20 digits';
  if (!isValidBik(bik)) return 'the BIK is not valid';
  if (!ruAccountKeyMatches(bik, account)) return `its control key does not match the BIK ${bik}`;
  return undefined;
}

/** An INN check digit: the weighted sum mod 11, then mod 10. */
function innCheckDigit(digits: readonly number[], weights: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += (digits[i] ?? 0) * (weights[i] ?? 0);
  return (sum % 11) % 10;
}

const INN10_WEIGHTS = [2, 4, 10, 3, 5, 9, 4, 6, 8] as const;
const INN12_WEIGHTS_11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8] as const;
const INN12_WEIGHTS_12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8] as const;

/** INN: 10 digits for a legal entity, 12 for an individual (sole proprietors included). */
export function innProblem(value: string): string | undefined {
  if (!isDigits(value, 10) && !isDigits(value, 12)) return 'it must be 10 digits (legal entity) or 12 digits (individual)';
  // The first two digits are the region code of the tax office, 01 and up; all-zero INNs pass the
  // check digits.
  if (value.startsWith('00')) return 'its region code 00 does not exist';
  const d = [...value].map(Number);
  if (value.length === 10) return innCheckDigit(d, INN10_WEIGHTS) === d[9] ? undefined : 'check digit does not match';
  const ok = innCheckDigit(d, INN12_WEIGHTS_11) === d[10] && innCheckDigit(d, INN12_WEIGHTS_12) === d[11];
  return ok ? undefined : 'check digits do not match';
}

export const isValidInn = (value: string): boolean => innProblem(value) === undefined;

/** KPP: the tax office (4 digits), the reason (2 digits or capital Latin letters), a number (3 digits). */
export const isValidKpp = (value: string): boolean => /^[0-9]{4}[0-9A-Z]{2}[0-9]{3}$/.test(value);

/** `79XXXXXXXXX` or `+79XXXXXXXXX` → `79XXXXXXXXX`; anything else (a landline, 8-prefixed) → undefined. */
export function normalizeRuMobilePhone(value: string): string | undefined {
  const match = /^\+?(79[0-9]{9})$/.exec(value);
  return match?.[1];
}

export const isValidRuMobilePhone = (value: string): boolean => normalizeRuMobilePhone(value) !== undefined;

// ---------------------------------------------------------------------------------------------
// Wallets

/**
 * The wallet payouts of the spec (§6.8, Bank 131 pages) and what each one's `account` is:
 * YooMoney a wallet number of 11 to 20 digits; QIWI the holder's phone number in international
 * format without `+`; Moneta.ru a numeric account id (no documented length: up to 20 digits);
 * Steam the account login (Steam allows 3 to 64 letters, digits and underscores).
 */
export const WALLET_ACCOUNT_FORMATS = Object.freeze({
  yoomoney: Object.freeze({ pattern: /^[0-9]{11,20}$/, description: 'a YooMoney wallet number, 11 to 20 digits' }),
  qiwi: Object.freeze({ pattern: /^[1-9][0-9]{9,14}$/, description: "the holder's phone number in international format without +, e.g. 79210010203" }),
  moneta: Object.freeze({ pattern: /^[0-9]{1,20}$/, description: 'a Moneta.ru account number, digits only' }),
  steam: Object.freeze({ pattern: /^[A-Za-z0-9_]{3,64}$/, description: 'a Steam login, 3 to 64 letters, digits or underscores' }),
});

export type WalletType = keyof typeof WALLET_ACCOUNT_FORMATS;

export const WALLET_TYPES: readonly WalletType[] = Object.freeze(['yoomoney', 'qiwi', 'moneta', 'steam']);

export function isWalletType(value: string): value is WalletType {
  return (WALLET_TYPES as readonly string[]).includes(value);
}

export const isValidWalletAccount = (type: WalletType, account: string): boolean =>
  WALLET_ACCOUNT_FORMATS[type].pattern.test(account);

// ---------------------------------------------------------------------------------------------
// Dates

/** `YYYY-MM-DD` naming a real day: `Date.parse` accepts 2024-02-30 and rolls it over to March. */
export function isCalendarDate(value: string): boolean {
  const match = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

// ---------------------------------------------------------------------------------------------
// Test values

/**
 * Values that pass these checks, for the sandbox, the docs and tests. The IBANs are the SWIFT
 * registry's and the banks' published examples; the ABA number is JPMorgan Chase's New York one;
 * the CPF is the usual documentation example; the Russian account numbers are made up around the
 * real BIK of Sberbank (044525225) with their control key computed, and the INNs are valid ones
 * (7707083893 is Sberbank's, 500100732259 a made-up individual's).
 */
export const VALID_TEST_VALUES = Object.freeze({
  iban: Object.freeze({
    BE: 'BE71096123456769',
    DE: 'DE89370400440532013000',
    GB: 'GB29NWBK60161331926819',
    FR: 'FR1420041010050500013M02606',
    NL: 'NL91ABNA0417164300',
    NO: 'NO9386011117947',
    MT: 'MT84MALT011000012345MTLCAST001S',
    LC: 'LC55HEMM000100010012001200023015',
    RU: 'RU0204452560040702810412345678901',
  }),
  swiftBic: Object.freeze({ BE: 'GEBABEBB', DE: 'DEUTDEFF', GB: 'NWBKGB2L', branch: 'DEUTDEFF500' }),
  us: Object.freeze({ routingCode: '021000021', bankAccountNumber: '123456789', accountType: 'CHECKING' }),
  uk: Object.freeze({ sortCode: '60-16-13', accountNumber: '31926819' }),
  au: Object.freeze({ bsbNumber: '062-000', bankAccountNumber: '12345678' }),
  br: Object.freeze({ cpf: '52998224725', branchNumber: '0001', bankAccountNumber: '12345-6', accountType: 'CHECKING' }),
  ru: Object.freeze({
    bik: '044525225',
    /** An individual's account (40817810…) with the individual's 12-digit INN. */
    individual: Object.freeze({ account: '40817810438000012345', inn: '500100732259' }),
    /** A sole proprietor's account (40802810…); `full_name` must read "ИП …". */
    soleProprietor: Object.freeze({ account: '40802810338000067890', inn: '500100732259' }),
    /** A legal entity's account (40702810…) with a 10-digit INN and a KPP. */
    legalEntity: Object.freeze({ account: '40702810538000054321', inn: '7707083893', kpp: '773601001' }),
  }),
  fps: Object.freeze({ phone: '79680000000', bankId: '100000000069' }),
  wallet: Object.freeze({ yoomoney: '410012411727100', qiwi: '79210010203', moneta: '25182459', steam: 'gaben_fan_42' }),
  card: Object.freeze({ number: '4242424242424242' }),
});
