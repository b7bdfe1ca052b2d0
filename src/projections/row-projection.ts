/**
 * @module projections/row-projection
 * Builds a `Projection` from a pure `evolve(row | null, event) → row | null`
 * over one table: the domain writes the fold, this file does the I/O. For a
 * batch it loads every touched row in one query, folds the events in log
 * order in memory, then upserts the changed rows and deletes the nulls.
 *
 * The drizzle table gives column names and value mapping; the statements run
 * on the runner's postgres.js transaction (drizzle's driver cannot wrap one).
 * Timestamp columns must be `withTimezone: true`.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { getTableColumns } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { TransactionSql } from "../db/client";
import type { RecordedEvent } from "../event-store/event";
import type { Projection, TableNames } from "./projection";

export interface RowProjectionSpec<Table extends PgTable, Row extends Table["$inferSelect"]> {
  name: string;
  version: number;
  eventTypes: readonly string[];
  /** Live table name, and a factory giving the same table under another name. */
  table: { name: string; make: (physicalName: string) => Table; key: (table: Table) => PgColumn };
  /** Pure: the keys of the rows an event changes (none: the event is ignored). */
  keysOf: (event: RecordedEvent) => readonly string[];
  /** Pure: the row after the event; `null` deletes it. Return `row` itself when nothing changes. */
  evolve: (row: Row | null, event: RecordedEvent, key: string) => Row | null;
}

interface ColumnInfo {
  prop: string;
  name: string;
  column: PgColumn;
}

const CHUNK = 1000;

/**
 * Converts between a table's database rows (snake_case keys, driver values)
 * and its drizzle row objects, using drizzle's own column mapping.
 */
export function createRowMapper<Table extends PgTable>(table: Table) {
  type Row = Table["$inferSelect"];
  const columns: ColumnInfo[] = Object.entries(getTableColumns(table)).map(([prop, column]) => ({
    prop,
    name: column.name,
    column: column as PgColumn,
  }));
  return {
    columns,
    fromDb(raw: Record<string, unknown>): Row {
      const row: Record<string, unknown> = {};
      for (const c of columns) {
        const value = raw[c.name];
        row[c.prop] = value === null || value === undefined ? null : c.column.mapFromDriverValue(value);
      }
      return row as Row;
    },
    toDb(row: Row): Record<string, unknown> {
      const raw: Record<string, unknown> = {};
      for (const c of columns) {
        const value = (row as Record<string, unknown>)[c.prop];
        raw[c.name] = value === null || value === undefined ? null : c.column.mapToDriverValue(value);
      }
      return raw;
    },
    /** The row as a JSON object for `jsonb_populate_recordset`: jsonb columns stay objects, times ISO strings. */
    toJson(row: Row): Record<string, unknown> {
      const json: Record<string, unknown> = {};
      for (const c of columns) {
        const value = (row as Record<string, unknown>)[c.prop];
        json[c.name] =
          value === null || value === undefined
            ? null
            : value instanceof Date
              ? value.toISOString()
              : c.column.getSQLType() === "jsonb"
                ? value
                : c.column.mapToDriverValue(value);
      }
      return json;
    },
  };
}

/** One row in COPY's text format: tab-separated, `\N` for null, backslash escapes. */
function copyLine(json: Record<string, unknown>, columns: readonly ColumnInfo[]): string {
  let line = "";
  for (let i = 0; i < columns.length; i++) {
    const value = json[(columns[i] as ColumnInfo).name];
    if (i > 0) line += "\t";
    if (value === null || value === undefined) line += "\\N";
    else if (typeof value === "string") line += copyEscape(value);
    else if (typeof value === "boolean") line += value ? "t" : "f";
    else if (typeof value === "number" || typeof value === "bigint") line += String(value);
    else line += copyEscape(JSON.stringify(value));
  }
  return `${line}\n`;
}

const COPY_SPECIAL = /[\\\n\r\t]/;
const copyEscape = (value: string) =>
  COPY_SPECIAL.test(value)
    ? value.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll("\r", "\\r").replaceAll("\t", "\\t")
    : value;

/**
 * Loads, upserts and deletes rows of one table by its key column, under any
 * physical name (live, rebuild or verify copy), in chunks, on the caller's
 * transaction.
 */
export function createTableWriter<Table extends PgTable>(template: Table, keyColumn: PgColumn) {
  type Row = Table["$inferSelect"];
  const mapper = createRowMapper(template);
  const { columns } = mapper;
  const key = columns.find((c) => c.column === keyColumn);
  if (!key) throw new Error(`key column is not in table ${String(template)}`);
  const keyType = keyColumn.getSQLType();
  const columnList = columns.map((c) => `"${c.name}"`).join(", ");
  const updates = columns
    .filter((c) => c !== key)
    .map((c) => `"${c.name}" = excluded."${c.name}"`)
    .join(", ");
  const arrayColumn = columns.find((c) => c.column.getSQLType().endsWith("[]"));
  const keyOf = (row: Row) => String((row as Record<string, unknown>)[key.prop]);

  return {
    keyOf,
    /** The rows with these keys, by key. */
    async load(tx: TransactionSql, table: string, keys: readonly string[]): Promise<Map<string, Row>> {
      const found = new Map<string, Row>();
      for (let i = 0; i < keys.length; i += CHUNK) {
        const rows = await tx<Record<string, unknown>[]>`
          select * from ${tx(table)}
          where ${tx(key.name)} = any(${keys.slice(i, i + CHUNK)}::${tx.unsafe(keyType)}[])
        `;
        for (const raw of rows) found.set(String(raw[key.name]), mapper.fromDb(raw) as Row);
      }
      return found;
    },
    /**
     * One statement per chunk with ONE parameter: the rows as a JSON array,
     * unpacked by `jsonb_populate_recordset` into the table's own row type
     * (thousands of bound parameters cost more to build and parse).
     */
    async upsert(tx: TransactionSql, table: string, rows: readonly Row[]) {
      for (let i = 0; i < rows.length; i += CHUNK) {
        const payload = JSON.stringify(rows.slice(i, i + CHUNK).map((row) => mapper.toJson(row)));
        await tx`
          insert into ${tx(table)} (${tx.unsafe(columnList)})
          select ${tx.unsafe(columnList)} from jsonb_populate_recordset(null::${tx(table)}, ${payload}::jsonb)
          on conflict (${tx(key.name)}) do update set ${tx.unsafe(updates)}
        `;
      }
    },
    /**
     * Inserts rows known to be new (a rebuild's own tables, whose keys it
     * just looked up) with COPY: no conflict check, no JSON to unpack.
     */
    async insertNew(tx: TransactionSql, table: string, rows: readonly Row[]) {
      if (rows.length === 0) return;
      if (arrayColumn) throw new Error(`insertNew: array column ${arrayColumn.name} has no COPY encoding here`);
      const copy = await tx`copy ${tx(table)} (${tx.unsafe(columnList)}) from stdin`.writable();
      await pipeline(
        Readable.from(
          (function* () {
            for (let i = 0; i < rows.length; i += CHUNK) {
              let text = "";
              for (const row of rows.slice(i, i + CHUNK)) text += copyLine(mapper.toJson(row as Row), columns);
              yield text;
            }
          })(),
        ),
        copy,
      );
    },
    async remove(tx: TransactionSql, table: string, keys: readonly string[]) {
      for (let i = 0; i < keys.length; i += CHUNK) {
        await tx`delete from ${tx(table)} where ${tx(key.name)} = any(${keys.slice(i, i + CHUNK)}::${tx.unsafe(keyType)}[])`;
      }
    },
  };
}

/**
 * A row projection's pure fold, kept on the projection so auditors can replay
 * it in memory (a row as it stood at a past point) with exactly the code that
 * builds the live table.
 */
export interface RowFold<Row> {
  keysOf: (event: RecordedEvent) => readonly string[];
  evolve: (row: Row | null, event: RecordedEvent, key: string) => Row | null;
}

export type RowProjection<Row> = Projection & { readonly fold: RowFold<Row> };

export function defineRowProjection<Table extends PgTable, Row extends Table["$inferSelect"]>(
  spec: RowProjectionSpec<Table, Row>,
): RowProjection<Row> {
  const template = spec.table.make(spec.table.name);
  const writer = createTableWriter(template, spec.table.key(template));

  return {
    name: spec.name,
    version: spec.version,
    eventTypes: spec.eventTypes,
    tables: [spec.table.name],
    fold: { keysOf: spec.keysOf, evolve: spec.evolve },
    async apply(tx: TransactionSql, events: readonly RecordedEvent[], names: TableNames) {
      const table = names[spec.table.name] ?? spec.table.name;
      const touched = events.map((event) => ({ event, keys: spec.keysOf(event) }));
      const allKeys = [...new Set(touched.flatMap((t) => t.keys))];
      if (allKeys.length === 0) return;

      const loaded = (await writer.load(tx, table, allKeys)) as Map<string, Row>;
      const current = new Map<string, Row | null>(loaded);
      for (const { event, keys } of touched) {
        for (const k of keys) current.set(k, spec.evolve(current.get(k) ?? null, event, k));
      }

      const upserts: Row[] = [];
      const deletes: string[] = [];
      for (const [k, row] of current) {
        const before = loaded.get(k) ?? null;
        if (row === before) continue;
        if (row === null) deletes.push(k);
        else upserts.push(row);
      }
      await writer.upsert(tx, table, upserts);
      await writer.remove(tx, table, deletes);
    },
  };
}
