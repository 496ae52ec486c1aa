import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  abaRoutingNumberProblem,
  bikProblem,
  countryAlpha2,
  countryAlpha3,
  cpfProblem,
  IBAN_LENGTHS,
  ibanProblem,
  innProblem,
  isCalendarDate,
  isCountryAlpha2,
  isIbanCountry,
  isValidAbaRoutingNumber,
  isValidAuAccountNumber,
  isValidAuBsb,
  isValidBik,
  isValidBrAccountNumber,
  isValidBrBranchNumber,
  isValidCpf,
  isValidIban,
  isValidInn,
  isValidKpp,
  isValidRuMobilePhone,
  isValidSwiftBic,
  isValidUkAccountNumber,
  isValidUkSortCode,
  isValidUsAccountNumber,
  isValidWalletAccount,
  isWalletType,
  normalizeAuBsb,
  normalizeCpf,
  normalizeIban,
  normalizeRuMobilePhone,
  normalizeSwiftBic,
  normalizeUkSortCode,
  RU_ACCOUNT_PREFIXES,
  RU_LEGAL_ENTITY_ACCOUNT_PREFIXES,
  ruAccountKeyMatches,
  ruAccountPrefix,
  ruAccountProblem,
  swiftBicProblem,
  VALID_TEST_VALUES,
  WALLET_TYPES,
} from './destination-checks.js';
import { FPS_BANKS, findFpsBank, isFpsBankId } from './fps-banks.js';

describe('countries (ISO 3166-1)', () => {
  it('maps alpha-2 and alpha-3 both ways, case-insensitively', () => {
    assert.equal(countryAlpha3('BE'), 'BEL');
    assert.equal(countryAlpha3('be'), 'BEL');
    assert.equal(countryAlpha2('BEL'), 'BE');
    assert.equal(countryAlpha2('usa'), 'US');
    assert.equal(countryAlpha2('GBR'), 'GB');
    assert.equal(countryAlpha2('BRA'), 'BR');
    assert.equal(countryAlpha2('AUS'), 'AU');
    assert.equal(countryAlpha3('XK'), 'XKX', 'Kosovo, as SWIFT and the IBAN registry use it');
  });

  it('knows nothing else', () => {
    for (const code of ['ZZ', 'UK', 'EU', 'B', 'BEL', '', 'ıt', '__']) assert.equal(countryAlpha3(code), undefined, code);
    for (const code of ['ZZZ', 'UKK', 'BE', 'constructor', 'toString', '']) assert.equal(countryAlpha2(code), undefined, code);
  });
});

describe('IBAN', () => {
  it('accepts the registry examples, with or without spaces, in any case', () => {
    const valid = [
      ...Object.values(VALID_TEST_VALUES.iban),
      'CH9300762011623852957',
      'GR1601101250000000012300695',
      'SA0380000000608010167519',
      'AE070331234567890123456',
      'XK051212012345678906',
      'BR1800360305000010009795493C1',
      'UA213223130000026007233566001',
      'HU42117730161111101800000000',
      'TR330006100519786457841326',
      'IT60X0542811101000000123456',
      'ES9121000418450200051332',
      'PL61109010140000071219812874',
      'SE4550000000058398257466',
      'BE71 0961 2345 6769',
      'de89 3704 0044 0532 0130 00',
      'gb29nwbk60161331926819',
    ];
    for (const iban of valid) assert.equal(ibanProblem(iban), undefined, iban);
  });

  it('normalises to the electronic form', () => {
    assert.equal(normalizeIban(' be71 0961 2345 6769 '), 'BE71096123456769');
    assert.equal(normalizeIban('gb29\u00a0nwbk 6016 1331 9268 19'), 'GB29NWBK60161331926819');
  });

  it('says why a value is not an IBAN', () => {
    const cases: [string, string][] = [
      ['BE71096123456768', 'checksum failed'],
      ['BE71096123456796', 'checksum failed'], // two digits swapped
      ['DE89370400440532013001', 'checksum failed'],
      ['GB29NWBK60161331926818', 'checksum failed'],
      ['BE7109612345676', 'BE IBANs have 16 characters, not 15'],
      ['GB29NWBK6016133192681', 'GB IBANs have 22 characters, not 21'],
      ['DE893704004405320130000', 'DE IBANs have 22 characters, not 23'],
      ['US71096123456769', 'US is not a country of the IBAN registry'],
      ['XX71096123456769', 'XX is not a country of the IBAN registry'],
      ['7107BE096123456769', 'it must start with a country code and two check digits'],
      ['BEXX096123456769', 'it must start with a country code and two check digits'],
      ['BE71-0961-2345-6769', 'only letters, digits and spaces are allowed'],
      ['GB15MıDL40051512345678', 'only letters, digits and spaces are allowed'], // GB15MIDL… is valid
      ['', 'empty'],
      ['   ', 'empty'],
      // 99 ≡ 02 and 00 ≡ 97 (mod 97): these pass the mod-97 test, yet are never issued.
      ['BE99096123400005', 'check digits 99 are never issued'],
      ['BE00096123400041', 'check digits 00 are never issued'],
      ['BE01096123456769', 'check digits 01 are never issued'],
    ];
    for (const [iban, problem] of cases) assert.equal(ibanProblem(iban), problem, iban);
    // The two "never issued" bodies do verify with their real check digits.
    assert.equal(isValidIban('BE02096123400005'), true);
    assert.equal(isValidIban('BE97096123400041'), true);
    assert.equal(isValidIban('GB15MIDL40051512345678'), true);
  });

  it('has a length for every registry country, each a real country code', () => {
    assert.equal(Object.keys(IBAN_LENGTHS).length, 89);
    for (const [country, length] of Object.entries(IBAN_LENGTHS)) {
      assert.equal(isCountryAlpha2(country), true, country);
      assert.ok(length >= 15 && length <= 34, country);
    }
    assert.deepEqual(
      ['NO', 'BE', 'DE', 'GB', 'FR', 'MT', 'LC', 'RU'].map((c) => IBAN_LENGTHS[c]),
      [15, 16, 22, 22, 27, 31, 32, 33],
    );
    assert.equal(isIbanCountry('be'), true);
    assert.equal(isIbanCountry('US'), false);
    assert.equal(isIbanCountry('constructor'), false);
  });
});

describe('SWIFT BIC', () => {
  it('accepts 8- and 11-character BICs, normalised to capitals', () => {
    for (const bic of ['DEUTDEFF', 'DEUTDEFF500', 'NWBKGB2L', 'GEBABEBB', 'BKCHCNBJ', 'SABRRUMM', 'deutdeff', 'DEUT DE FF']) {
      assert.equal(swiftBicProblem(bic), undefined, bic);
    }
    assert.equal(normalizeSwiftBic('deut de ff 500'), 'DEUTDEFF500');
  });

  it('says why a value is not a BIC', () => {
    const shape =
      'it must be a 4-letter bank code, a 2-letter country code, a 2-character location code and an optional 3-character branch code';
    const cases: [string, string][] = [
      ['DEUTDEF', 'it must have 8 or 11 characters'],
      ['DEUTDEFF50', 'it must have 8 or 11 characters'],
      ['DEUTDEFF5000', 'it must have 8 or 11 characters'],
      ['', 'it must have 8 or 11 characters'],
      ['DEU1DEFF', shape],
      ['DEUT1EFF', shape],
      ['DEUTDE-F', shape],
      ['DEUTZZFF', 'ZZ is not an ISO 3166 country code'],
      ['DEUTUKFF', 'UK is not an ISO 3166 country code'],
    ];
    for (const [bic, problem] of cases) assert.equal(swiftBicProblem(bic), problem, bic);
    assert.equal(isValidSwiftBic('DEUTDE_F'), false);
  });
});

describe('US: ABA routing number, account number', () => {
  it('accepts published routing numbers', () => {
    // JPMorgan Chase NY, Federal Reserve Bank of Boston, Wells Fargo CA, Bank of America NY,
    // JPMorgan Chase CA, Wells Fargo MN.
    for (const aba of ['021000021', '011000015', '121000248', '026009593', '322271627', '091000019']) {
      assert.equal(abaRoutingNumberProblem(aba), undefined, aba);
    }
  });

  it('checks 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10) and the routing symbol', () => {
    const cases: [string, string][] = [
      ['021000022', 'checksum failed'],
      ['012000021', 'checksum failed'],
      ['02100002', 'it must be 9 digits'],
      ['0210000210', 'it must be 9 digits'],
      ['02100002a', 'it must be 9 digits'],
      ['000000000', 'it is all zeros'],
      ['131000005', '13 is not a Federal Reserve routing symbol'], // passes the checksum
    ];
    for (const [aba, problem] of cases) assert.equal(abaRoutingNumberProblem(aba), problem, aba);
    assert.equal(isValidAbaRoutingNumber(VALID_TEST_VALUES.us.routingCode), true);
  });

  it('takes account numbers of 4 to 17 digits', () => {
    for (const n of ['1234', '123456789', '12345678901234567']) assert.equal(isValidUsAccountNumber(n), true, n);
    for (const n of ['123', '123456789012345678', '1234-5678', '12345678a', '']) assert.equal(isValidUsAccountNumber(n), false, n);
  });
});

describe('UK and Australia', () => {
  it('UK sort code as 12-34-56 or 123456, account number 8 digits', () => {
    assert.equal(normalizeUkSortCode('60-16-13'), '601613');
    assert.equal(normalizeUkSortCode('601613'), '601613');
    for (const s of ['60 16 13', '6016-13', '60-1613', '60161', '6016133', '60-16-1a', '']) assert.equal(isValidUkSortCode(s), false, s);
    assert.equal(isValidUkAccountNumber('31926819'), true);
    for (const n of ['3192681', '319268190', '3192681a']) assert.equal(isValidUkAccountNumber(n), false, n);
  });

  it('AU BSB as 123-456 or 123456, account 5 to 9 digits', () => {
    assert.equal(normalizeAuBsb('062-000'), '062000');
    assert.equal(normalizeAuBsb('062000'), '062000');
    for (const b of ['06-2000', '062 000', '06200', '0620000', '']) assert.equal(isValidAuBsb(b), false, b);
    for (const n of ['12345', '12345678', '123456789']) assert.equal(isValidAuAccountNumber(n), true, n);
    for (const n of ['1234', '1234567890', '1234-5678']) assert.equal(isValidAuAccountNumber(n), false, n);
  });
});

describe('Brazil: CPF, branch and account numbers', () => {
  it('accepts valid CPFs, bare or formatted', () => {
    for (const cpf of ['52998224725', '529.982.247-25', '11144477735', '111.444.777-35', '12345678909']) {
      assert.equal(cpfProblem(cpf), undefined, cpf);
    }
    assert.equal(normalizeCpf('529.982.247-25'), '52998224725');
  });

  it('checks both check digits and refuses repeated digits', () => {
    const cases: [string, string][] = [
      ['52998224726', 'check digits do not match'], // second digit wrong
      ['52998224715', 'check digits do not match'], // first digit wrong
      ['52998224752', 'check digits do not match'], // check digits swapped
      ['11111111111', 'all its digits are the same'], // passes the check digits
      ['00000000000', 'all its digits are the same'],
      ['999.999.999-99', 'all its digits are the same'],
      ['5299822472', 'it must be 11 digits, as 52998224725 or 529.982.247-25'],
      ['529.982.24725', 'it must be 11 digits, as 52998224725 or 529.982.247-25'],
      ['529982247-25', 'it must be 11 digits, as 52998224725 or 529.982.247-25'],
    ];
    for (const [cpf, problem] of cases) assert.equal(cpfProblem(cpf), problem, cpf);
    assert.equal(isValidCpf(VALID_TEST_VALUES.br.cpf), true);
  });

  it('branch: up to 4 digits, account: up to 20, each with an optional check digit (X for Banco do Brasil)', () => {
    for (const b of ['1', '0001', '1234-5', '1234-X', '1234-x']) assert.equal(isValidBrBranchNumber(b), true, b);
    for (const b of ['12345', '1234-', '1234-56', '-1', 'abcd', '']) assert.equal(isValidBrBranchNumber(b), false, b);
    for (const a of ['1', '12345-6', '00012345-X', '12345678901234567890']) assert.equal(isValidBrAccountNumber(a), true, a);
    for (const a of ['123456789012345678901', '12345-67', '12.345-6', '']) assert.equal(isValidBrAccountNumber(a), false, a);
  });
});

describe('Russia: BIK, account and its control key, INN, KPP, mobile phone', () => {
  it('BIK: 9 digits starting with 04', () => {
    for (const bik of ['044525225', '044525974', '044525593', '049205131']) assert.equal(bikProblem(bik), undefined, bik);
    assert.equal(bikProblem('04452522'), 'it must be 9 digits');
    assert.equal(bikProblem('04452522a'), 'it must be 9 digits');
    assert.equal(bikProblem('144525225'), 'it must start with 04');
    assert.equal(bikProblem('017003983'), 'it must start with 04', 'a treasury BIK');
    assert.equal(isValidBik(VALID_TEST_VALUES.ru.bik), true);
  });

  it('control key: the last 3 BIK digits + the account, weights 7,1,3, sum ≡ 0 (mod 10)', () => {
    const { bik, individual, soleProprietor, legalEntity } = VALID_TEST_VALUES.ru;
    for (const account of [individual.account, soleProprietor.account, legalEntity.account]) {
      assert.equal(ruAccountProblem(account, bik), undefined, account);
    }
    // The same weights over a published account: Sberbank's correspondent account with its
    // own variant of the prefix, "0" + BIK digits 5–6 ("025").
    assert.equal(ruAccountKeyMatches('000000025', '30101810400000000225'), true);
    // Any changed digit, or the same account at another bank, breaks the key.
    assert.equal(ruAccountProblem('40817810438000012346', bik), 'its control key does not match the BIK 044525225');
    assert.equal(ruAccountProblem('40817810538000012345', bik), 'its control key does not match the BIK 044525225');
    assert.equal(ruAccountProblem(individual.account, '044525974'), 'its control key does not match the BIK 044525974');
    assert.equal(ruAccountProblem('4081781043800001234', bik), 'it must be 20 digits');
    assert.equal(ruAccountProblem(individual.account, '04452522'), 'the BIK is not valid');
  });

  it('allowed prefixes are the SG list', () => {
    assert.deepEqual(RU_ACCOUNT_PREFIXES, [
      '40817810', '42301810', '42302810', '42303810', '42304810', '42305810', '42306810', '42307810',
      '40802810', '40502810', '40820810', '40702810',
    ]);
    assert.deepEqual(RU_LEGAL_ENTITY_ACCOUNT_PREFIXES, ['40502810', '40702810']);
    assert.equal(ruAccountPrefix('40817810438000012345'), '40817810');
    assert.equal(ruAccountPrefix('40817840438000012345'), undefined, 'a USD account');
    assert.equal(ruAccountPrefix('30101810400000000225'), undefined, 'a correspondent account');
  });

  it('INN: 10 digits with one check digit, 12 with two', () => {
    for (const inn of ['7707083893', '7736207543', '7830002293', '500100732259', '772834596324']) assert.equal(innProblem(inn), undefined, inn);
    // A weighted sum ≡ 10 (mod 11) gives the check digit 0, not 10.
    for (const inn of ['7707083830', '500100730004']) assert.equal(innProblem(inn), undefined, inn);
    const cases: [string, string][] = [
      ['7707083894', 'check digit does not match'],
      ['7707083839', 'check digit does not match'],
      ['500100732258', 'check digits do not match'], // 12th digit
      ['500100732269', 'check digits do not match'], // 11th digit
      ['0000000000', 'its region code 00 does not exist'], // passes the check digit
      ['000000000000', 'its region code 00 does not exist'],
      ['77070838931', 'it must be 10 digits (legal entity) or 12 digits (individual)'],
      ['770708389', 'it must be 10 digits (legal entity) or 12 digits (individual)'],
      ['77070838a3', 'it must be 10 digits (legal entity) or 12 digits (individual)'],
    ];
    for (const [inn, problem] of cases) assert.equal(innProblem(inn), problem, inn);
    assert.equal(isValidInn(VALID_TEST_VALUES.ru.legalEntity.inn), true);
  });

  it('KPP: 4 digits, 2 digits or capitals, 3 digits', () => {
    for (const kpp of ['773601001', '7736AB001']) assert.equal(isValidKpp(kpp), true, kpp);
    for (const kpp of ['77360100', '7736ab001', '77360100A', 'A73601001']) assert.equal(isValidKpp(kpp), false, kpp);
  });

  it('FPS phone: a Russian mobile in E.164, normalised to 7XXXXXXXXXX', () => {
    assert.equal(normalizeRuMobilePhone('79680000000'), '79680000000');
    assert.equal(normalizeRuMobilePhone('+79680000000'), '79680000000');
    for (const phone of ['89680000000', '74951234567', '7968000000', '796800000000', '+7 968 000 00 00', '+89680000000', '9680000000', '']) {
      assert.equal(isValidRuMobilePhone(phone), false, phone);
    }
  });
});

describe('wallets, dates, FPS banks', () => {
  it('wallet account formats', () => {
    assert.deepEqual(WALLET_TYPES, ['yoomoney', 'qiwi', 'moneta', 'steam']);
    assert.equal(isWalletType('constructor'), false);
    const good: [string, string][] = [
      ['yoomoney', '4100175017397'], ['yoomoney', '410012411727100'], ['qiwi', '79210010203'], ['qiwi', '380501234567'],
      ['moneta', '25182459'], ['steam', 'gaben'], ['steam', 'gaben_fan_42'],
    ];
    const bad: [string, string][] = [
      ['yoomoney', '4100175017'], ['yoomoney', '410017501739712345678'], ['yoomoney', 'wallet@yoomoney.ru'],
      ['qiwi', '+79210010203'], ['qiwi', '0921001020'], ['qiwi', '792100102'], ['moneta', '2518-2459'], ['moneta', ''],
      ['steam', 'ab'], ['steam', 'has space'], ['steam', 'a'.repeat(65)],
    ];
    for (const [type, account] of good) assert.equal(isWalletType(type) && isValidWalletAccount(type, account), true, `${type} ${account}`);
    for (const [type, account] of bad) assert.equal(isWalletType(type) && isValidWalletAccount(type, account), false, `${type} ${account}`);
  });

  it('calendar dates', () => {
    for (const d of ['2024-02-29', '1990-12-31', '2000-01-01']) assert.equal(isCalendarDate(d), true, d);
    for (const d of ['2023-02-29', '2024-02-30', '2024-13-01', '2024-00-10', '2024-2-3', '24-02-03', '']) assert.equal(isCalendarDate(d), false, d);
  });

  it('FPS banks: unique 12-digit ids, the SG example among them', () => {
    assert.ok(FPS_BANKS.length >= 10);
    assert.equal(new Set(FPS_BANKS.map((b) => b.id)).size, FPS_BANKS.length);
    for (const b of FPS_BANKS) {
      assert.match(b.id, /^1000000000[0-9]{2}$|^100000000111$/, b.id);
      assert.ok(b.eng_name && b.ru_name, b.id);
    }
    assert.equal(findFpsBank('100000000069')?.eng_name, 'SDM-Bank');
    assert.equal(isFpsBankId('100000000069'), true);
    assert.equal(isFpsBankId('100000000999'), false);
    assert.equal(isFpsBankId(' 100000000069'), false);
  });
});

describe('VALID_TEST_VALUES pass their own checks', () => {
  it('every value', () => {
    const v = VALID_TEST_VALUES;
    for (const iban of Object.values(v.iban)) assert.equal(isValidIban(iban), true, iban);
    for (const bic of Object.values(v.swiftBic)) assert.equal(isValidSwiftBic(bic), true, bic);
    assert.equal(isValidAbaRoutingNumber(v.us.routingCode), true);
    assert.equal(isValidUsAccountNumber(v.us.bankAccountNumber), true);
    assert.equal(isValidUkSortCode(v.uk.sortCode) && isValidUkAccountNumber(v.uk.accountNumber), true);
    assert.equal(isValidAuBsb(v.au.bsbNumber) && isValidAuAccountNumber(v.au.bankAccountNumber), true);
    assert.equal(isValidCpf(v.br.cpf) && isValidBrBranchNumber(v.br.branchNumber) && isValidBrAccountNumber(v.br.bankAccountNumber), true);
    for (const holder of [v.ru.individual, v.ru.soleProprietor, v.ru.legalEntity]) {
      assert.equal(ruAccountProblem(holder.account, v.ru.bik), undefined, holder.account);
      assert.equal(isValidInn(holder.inn), true, holder.inn);
    }
    assert.equal(v.ru.individual.inn.length, 12);
    assert.equal(v.ru.legalEntity.inn.length, 10);
    assert.equal(isValidKpp(v.ru.legalEntity.kpp), true);
    assert.equal(isValidRuMobilePhone(v.fps.phone) && isFpsBankId(v.fps.bankId), true);
    for (const type of WALLET_TYPES) assert.equal(isValidWalletAccount(type, v.wallet[type]), true, type);
  });
});
