import type {
  DuckDBArrayType,
  DuckDBArrayValue,
  DuckDBDateValue,
  DuckDBDecimalType,
  DuckDBListType,
  DuckDBListValue,
  DuckDBMapType,
  DuckDBMapValue,
  DuckDBStructType,
  DuckDBStructValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampTZValue,
  DuckDBType,
  DuckDBUnionType,
  DuckDBUnionValue,
  DuckDBValue,
} from '@duckdb/node-api';
import { DuckDBTypeId } from '@duckdb/node-api/lib/DuckDBTypeId.js';
import type { Cell, ColumnKind } from '../shared/results.js';
import { duckdb } from './duckdb.js';

/** What a conversion needs beside the value: the session's TimeZone setting for TIMESTAMPTZ. */
export interface CellContext {
  /** IANA zone DuckDB renders TIMESTAMP WITH TIME ZONE in (its `TimeZone` setting). Default UTC. */
  timeZone?: string;
}

type Convert = (value: NonNullable<DuckDBValue>, type: DuckDBType, context: CellContext) => Cell;

interface TypeHandling {
  kind: ColumnKind;
  toCell: Convert;
}

const text: Convert = (v) => String(v);
const num: Convert = (v) => Number(v);
const unsupported: Convert = (v) => String(v);

/** Every DuckDB type id: its column kind and how its values become cells. A new type id fails to compile. */
const TYPES: Record<DuckDBTypeId, TypeHandling> = {
  [DuckDBTypeId.INVALID]: { kind: 'other', toCell: unsupported },
  [DuckDBTypeId.BOOLEAN]: { kind: 'boolean', toCell: (v) => v === true },
  [DuckDBTypeId.TINYINT]: { kind: 'integer', toCell: num },
  [DuckDBTypeId.SMALLINT]: { kind: 'integer', toCell: num },
  [DuckDBTypeId.INTEGER]: { kind: 'integer', toCell: num },
  [DuckDBTypeId.BIGINT]: { kind: 'integer', toCell: text },
  [DuckDBTypeId.UTINYINT]: { kind: 'integer', toCell: num },
  [DuckDBTypeId.USMALLINT]: { kind: 'integer', toCell: num },
  [DuckDBTypeId.UINTEGER]: { kind: 'integer', toCell: num },
  [DuckDBTypeId.UBIGINT]: { kind: 'integer', toCell: text },
  [DuckDBTypeId.HUGEINT]: { kind: 'integer', toCell: text },
  [DuckDBTypeId.UHUGEINT]: { kind: 'integer', toCell: text },
  [DuckDBTypeId.BIGNUM]: { kind: 'integer', toCell: text },
  [DuckDBTypeId.INTEGER_LITERAL]: { kind: 'integer', toCell: text },
  [DuckDBTypeId.DECIMAL]: {
    kind: 'decimal',
    toCell: (v, t) => decimalText(String(v), t as DuckDBDecimalType),
  },
  [DuckDBTypeId.FLOAT]: { kind: 'float', toCell: (v) => floatCell(Number(v), true) },
  [DuckDBTypeId.DOUBLE]: { kind: 'float', toCell: (v) => floatCell(Number(v), false) },
  [DuckDBTypeId.DATE]: { kind: 'temporal', toCell: (v) => dateText(v as DuckDBDateValue) },
  [DuckDBTypeId.TIME]: { kind: 'temporal', toCell: text },
  [DuckDBTypeId.TIME_NS]: { kind: 'temporal', toCell: text },
  [DuckDBTypeId.TIME_TZ]: { kind: 'temporal', toCell: text },
  [DuckDBTypeId.TIMESTAMP]: { kind: 'temporal', toCell: (v) => yearText(String(v)) },
  [DuckDBTypeId.TIMESTAMP_S]: { kind: 'temporal', toCell: (v) => yearText(String(v)) },
  [DuckDBTypeId.TIMESTAMP_MS]: { kind: 'temporal', toCell: (v) => yearText(String(v)) },
  [DuckDBTypeId.TIMESTAMP_NS]: {
    kind: 'temporal',
    toCell: (v) => timestampNsText(v as DuckDBTimestampNanosecondsValue),
  },
  [DuckDBTypeId.TIMESTAMP_TZ]: {
    kind: 'temporal',
    toCell: (v, _t, c) => timestampTzText(v as DuckDBTimestampTZValue, c),
  },
  [DuckDBTypeId.INTERVAL]: { kind: 'temporal', toCell: text },
  [DuckDBTypeId.VARCHAR]: { kind: 'text', toCell: text },
  [DuckDBTypeId.STRING_LITERAL]: { kind: 'text', toCell: text },
  [DuckDBTypeId.ENUM]: { kind: 'text', toCell: text },
  [DuckDBTypeId.UUID]: { kind: 'text', toCell: text },
  [DuckDBTypeId.BLOB]: { kind: 'binary', toCell: text },
  [DuckDBTypeId.BIT]: { kind: 'binary', toCell: text },
  [DuckDBTypeId.GEOMETRY]: { kind: 'binary', toCell: text },
  [DuckDBTypeId.LIST]: {
    kind: 'nested',
    toCell: (v, t, c) =>
      (v as DuckDBListValue).items.map((item) => toCell(item, (t as DuckDBListType).valueType, c)),
  },
  [DuckDBTypeId.ARRAY]: {
    kind: 'nested',
    toCell: (v, t, c) =>
      (v as DuckDBArrayValue).items.map((item) => toCell(item, (t as DuckDBArrayType).valueType, c)),
  },
  [DuckDBTypeId.STRUCT]: {
    kind: 'nested',
    toCell: (v, t, c) => {
      const type = t as DuckDBStructType;
      const entries = (v as DuckDBStructValue).entries;
      const out: { [key: string]: Cell } = {};
      type.entryNames.forEach(
        (name, i) => (out[name] = toCell(entries[name] ?? null, type.entryTypes[i]!, c)),
      );
      return out;
    },
  },
  [DuckDBTypeId.MAP]: {
    kind: 'nested',
    toCell: (v, t, c) => {
      const type = t as DuckDBMapType;
      return (v as DuckDBMapValue).entries.map((e) => ({
        key: toCell(e.key, type.keyType, c),
        value: toCell(e.value, type.valueType, c),
      }));
    },
  },
  [DuckDBTypeId.UNION]: {
    kind: 'nested',
    toCell: (v, t, c) => {
      const union = v as DuckDBUnionValue;
      const type = t as DuckDBUnionType;
      const member = type.memberTypes[type.tagMemberIndexes[union.tag] ?? -1];
      return member ? toCell(union.value, member, c) : String(union.value);
    },
  },
  [DuckDBTypeId.VARIANT]: { kind: 'nested', toCell: text },
  [DuckDBTypeId.ANY]: { kind: 'other', toCell: unsupported },
  [DuckDBTypeId.SQLNULL]: { kind: 'other', toCell: () => null },
};

/** A DuckDB value of `type` as a JSON-safe cell (see {@link Cell}); scalar texts match DuckDB's CAST to VARCHAR. */
export function toCell(value: DuckDBValue, type: DuckDBType, context: CellContext = {}): Cell {
  if (value === null || value === undefined) return null;
  return TYPES[type.typeId].toCell(value, type, context);
}

/** The column family of a DuckDB type (for alignment, sort UI and filters). */
export function columnKind(type: DuckDBType): ColumnKind {
  if (type.alias?.toUpperCase() === 'JSON') return 'text';
  return TYPES[type.typeId].kind;
}

/** The SQL text of a type as users know it ("JSON" rather than its storage type "VARCHAR"). */
export function typeText(type: DuckDBType): string {
  return type.alias && type.typeId === DuckDBTypeId.VARCHAR ? type.alias.toUpperCase() : type.toString();
}

/**
 * A FLOAT or DOUBLE as a cell: a number (for FLOAT the shortest decimal that is the same float, as
 * DuckDB prints it), or DuckDB's text for values JSON cannot hold: "nan", "inf", "-inf", "-0.0".
 */
function floatCell(x: number, single: boolean): Cell {
  if (Number.isNaN(x)) return 'nan';
  if (Object.is(x, -0)) return '-0.0';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (!single) return x;
  for (let digits = 1; digits < 17; digits++) {
    const candidate = Number(x.toPrecision(digits));
    if (Math.fround(candidate) === x) return candidate;
  }
  return x;
}

const DATE_INFINITY = 2147483647;

function dateText(v: DuckDBDateValue): string {
  if (v.days === DATE_INFINITY) return 'infinity';
  if (v.days === -DATE_INFINITY) return '-infinity';
  return yearText(v.toString());
}

/**
 * node-api writes the year 1 BC as "0000" (2 BC and earlier correctly, as "0002-… (BC)"); DuckDB writes
 * "0001-MM-DD (BC)", then the time if any.
 */
function yearText(s: string): string {
  return s.startsWith('0000-') ? `0001-${s.slice(5, 10)} (BC)${s.slice(10)}` : s;
}

/** DuckDB writes a DECIMAL whose scale is its width without the integer digit: ".5000", "-.5000". */
function decimalText(s: string, type: DuckDBDecimalType): string {
  return type.width === type.scale ? s.replace(/^(-?)0\./, '$1.') : s;
}

const INT64_MAX = 9223372036854775807n;

function timestampNsText(v: DuckDBTimestampNanosecondsValue): string {
  if (v.nanos === INT64_MAX) return 'infinity';
  if (v.nanos === -INT64_MAX) return '-infinity';
  return yearText(v.toString());
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();
const MAX_DATE_MS = 8.64e15;

/** Offset in seconds of `zone` from UTC at `ms` since the epoch, from the platform's ICU data. */
function zoneOffsetSeconds(zone: string, ms: number): number {
  let format = offsetFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    offsetFormats.set(zone, format);
  }
  const clamped = Math.max(-MAX_DATE_MS, Math.min(MAX_DATE_MS, ms));
  const name = format.formatToParts(new Date(clamped)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):?(\d{2})?:?(\d{2})?/.exec(name);
  if (!m) return 0;
  const seconds = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
  return m[1] === '-' ? -seconds : seconds;
}

/**
 * TIMESTAMPTZ as DuckDB's ICU cast renders it: wall time in the session's zone, then the offset as
 * ±HH or ±HH:MM (seconds of historic local-mean-time offsets are dropped from the suffix only).
 */
function timestampTzText(v: DuckDBTimestampTZValue, context: CellContext): string {
  if (!v.isFinite) return v.micros > 0n ? 'infinity' : '-infinity';
  const zone = context.timeZone ?? 'UTC';
  let offset: number;
  try {
    offset = zone === 'UTC' || zone === 'Etc/UTC' ? 0 : zoneOffsetSeconds(zone, Number(v.micros / 1000n));
  } catch {
    offset = 0;
  }
  const wall = yearText(
    new (duckdb().DuckDBTimestampValue)(v.micros + BigInt(offset) * 1_000_000n).toString(),
  );
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const hours = String(Math.floor(abs / 3600)).padStart(2, '0');
  const minutes = Math.floor((abs % 3600) / 60);
  return `${wall}${sign}${hours}${minutes ? ':' + String(minutes).padStart(2, '0') : ''}`;
}
