import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { formatBytes, isValidUnit, parseBytes, parseDuration, toUnit, tryParseBytes, tryParseDuration } from '../../src/conf/index.js';

const KB = 1024;
const MB = KB * KB;
const GB = MB * KB;
const TB = GB * KB;
const PB = TB * KB;

const BYTES: Array<[string, number | undefined]> = [
  ['0', 0], ['1024', 1024], ['10B', 10], ['10b', 10],
  ['1KB', KB], ['1kb', KB], ['1k', KB], ['1K', KB],
  ['64MB', 64 * MB], ['64m', 64 * MB], ['64Mb', 64 * MB],
  ['1GB', GB], ['1g', GB], ['1.5GB', 1.5 * GB], ['0.5g', GB / 2],
  ['2TB', 2 * TB], ['2t', 2 * TB], ['1PB', PB], ['1p', PB],
  ['1.1KB', 1126], ['.5KB', 512], ['10 GB', 10 * GB], [' 8MB ', 8 * MB],
  ['', undefined], ['GB', undefined], ['1XB', undefined], ['-1GB', undefined],
  ['1.2.3GB', undefined], ['1e3', undefined], ['lots', undefined],
];
for (const [s, want] of BYTES) {
  test(`tryParseBytes(${JSON.stringify(s)}) = ${want}`, () => assert.equal(tryParseBytes(s), want));
}

test('parseBytes throws ConfigError with the size hint', () => {
  assert.throws(() => parseBytes('lots'), (e: unknown) =>
    e instanceof ConfigError && e.message === '"lots" is not a size (e.g. 512MB, 1GB)');
});

const DURATIONS: Array<[string, number | undefined]> = [
  ['0', 0], ['250', 250], ['5ms', 5], ['5MS', 5],
  ['1s', 1000], ['1sec', 1000], ['2SEC', 2000], ['1.5s', 1500],
  ['1m', 60_000], ['1min', 60_000], ['5min', 300_000], ['0.5min', 30_000],
  ['1h', 3_600_000], ['1hr', 3_600_000], ['1hour', 3_600_000], ['1HOUR', 3_600_000],
  ['1d', 86_400_000], ['1day', 86_400_000], ['10 sec', 10_000], ['.5s', 500],
  ['', undefined], ['sec', undefined], ['5 fortnights', undefined], ['-1', undefined], ['1w', undefined],
];
for (const [s, want] of DURATIONS) {
  test(`tryParseDuration(${JSON.stringify(s)}) = ${want}`, () => assert.equal(tryParseDuration(s), want));
}

test('parseDuration throws ConfigError with the duration hint', () => {
  assert.throws(() => parseDuration('soon'), (e: unknown) =>
    e instanceof ConfigError && e.message === '"soon" is not a duration (e.g. 500ms, 10sec, 5min)');
});

const FORMATS: Array<[number, string]> = [
  [0, '0B'], [1, '1B'], [1024, '1024B'], [5120, '5120B'], [5121, '5.00KB'],
  [10 * KB, '10.00KB'], [5 * MB, '5120.00KB'], [5 * MB + KB, '5.00MB'], [64 * MB, '64.00MB'],
  [GB, '1024.00MB'], [1.5 * GB, '1536.00MB'], [6 * GB, '6.00GB'], [6 * TB, '6.00TB'],
  [6 * PB, '6.00PB'],
];
for (const [n, want] of FORMATS) {
  test(`formatBytes(${n}) = ${want}`, () => assert.equal(formatBytes(n), want));
}

const UNITS: Array<[string, string, number]> = [
  ['64MB', 'B', 64 * MB], ['64MB', 'KB', 64 * KB], ['64MB', 'MB', 64], ['64MB', 'mb', 64],
  ['64MB', 'GB', 0], ['1536MB', 'GB', 1], ['2TB', 'TB', 2], ['3PB', 'PB', 3],
  ['5min', 'MS', 300_000], ['5min', 'S', 300], ['5min', 'SEC', 300], ['5min', 'M', 5], ['5min', 'MIN', 5],
  ['90sec', 'MIN', 1], ['1hour', 'H', 1], ['1hour', 'HR', 1], ['1hour', 'HOUR', 1], ['36h', 'D', 1], ['2day', 'DAY', 2],
  ['1500', 'S', 1],
];
for (const [v, u, want] of UNITS) {
  test(`toUnit(${v}, ${u}) = ${want}`, () => assert.equal(toUnit(v, u), want));
}

test('toUnit: bad unit', () => {
  assert.throws(() => toUnit('64MB', 'XB'), (e: unknown) => e instanceof ConfigError && e.message === 'XB is not a valid unit');
});

test('toUnit: value is not of that kind', () => {
  assert.throws(() => toUnit('5min', 'MB'), (e: unknown) =>
    e instanceof ConfigError && e.message === '"5min" is not a size (e.g. 512MB, 1GB)');
  assert.throws(() => toUnit('64MB', 'SEC'), (e: unknown) =>
    e instanceof ConfigError && e.message === '"64MB" is not a duration (e.g. 500ms, 10sec, 5min)');
});

test('isValidUnit', () => {
  for (const u of ['B', 'kb', 'MB', 'GB', 'TB', 'PB', 'ms', 'S', 'SEC', 'M', 'MIN', 'H', 'HR', 'HOUR', 'D', 'DAY']) assert.equal(isValidUnit(u), true, u);
  for (const u of ['', 'XB', 'W', 'KIB', 'SECS']) assert.equal(isValidUnit(u), false, u);
});
