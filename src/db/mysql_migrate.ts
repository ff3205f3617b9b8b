/**
 * syncdb's migration of a MySQL table, planned against the table as it
 * stands (information_schema), not only against the stored schema, so that
 * a run killed half way is finished by the next one. MySQL commits DDL at
 * once, so every step comes with its undo; dropping a removed column waits
 * for the commit (the column is made nullable first so that new rows need
 * no value for it). Pure.
 */
import { UsageError } from "../errors.ts";
import {
  columnDefinition,
  columnType,
  enumList,
  quoteName,
  type TableColumn,
} from "./mysql_sql.ts";
import type { TableModel } from "./table_model.ts";

/** What to do to a table, and how to undo it. */
export interface MigrationPlan {
  /** one ALTER TABLE for the additions, enum extensions and relaxed NOT NULLs, if any */
  alter?: string;
  /** the ALTER TABLE that reverses `alter` */
  undo?: string;
  /** columns to drop once the data is committed */
  drops: string[];
  /** one line per change, for the log */
  lines: string[];
}

/** The values of an `enum('a','b')` column type. */
export function enumValues(columnType: string): string[] {
  const list = columnType.replace(/^enum\((.*)\)$/is, "$1");
  return [...list.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1]!.replaceAll("''", "'"));
}

function sameKeys(before: TableModel, after: TableModel): boolean {
  return before.keys.length === after.keys.length &&
    before.keys.every((k, i) => after.keys[i] === k);
}

interface Steps {
  forward: string[];
  backward: string[];
  lines: string[];
  drops: string[];
}

function addColumns(after: TableModel, actual: Map<string, TableColumn>, steps: Steps): void {
  for (const column of after.columns.filter((c) => !actual.has(c.name))) {
    // Nullable: the rows already there have no value for it.
    steps.forward.push(`ADD COLUMN ${quoteName(column.name)} ${columnType(column)} NULL`);
    steps.backward.push(`DROP COLUMN ${quoteName(column.name)}`);
    steps.lines.push(`added column ${column.name}`);
  }
}

function dropColumns(after: TableModel, actual: Map<string, TableColumn>, steps: Steps): void {
  const wanted = new Set(after.columns.map((c) => c.name));
  for (const column of [...actual.values()].filter((c) => !wanted.has(c.name))) {
    if (!column.nullable) {
      steps.forward.push(`MODIFY COLUMN ${columnDefinition(column, true)}`);
      steps.backward.push(`MODIFY COLUMN ${columnDefinition(column, false)}`);
    }
    steps.drops.push(column.name);
    steps.lines.push(`dropped column ${column.name} (no longer in the schema)`);
  }
}

function extendEnums(after: TableModel, actual: Map<string, TableColumn>, steps: Steps): void {
  for (const column of after.columns) {
    const current = actual.get(column.name);
    if (column.type.kind !== "enum" || current?.dataType.toLowerCase() !== "enum") continue;
    const values = enumValues(current.columnType);
    const added = column.type.values.filter((v) => !values.includes(v));
    if (added.length === 0) continue;
    // Appended, in the existing order: the stored values keep their meaning, and the change is instant.
    const charset = current.charset
      ? ` CHARACTER SET ${current.charset} COLLATE ${current.collation}`
      : "";
    const type = `${enumList([...values, ...added])}${charset}`;
    steps.forward.push(
      `MODIFY COLUMN ${quoteName(column.name)} ${type} ${current.nullable ? "NULL" : "NOT NULL"}`,
    );
    steps.backward.push(`MODIFY COLUMN ${columnDefinition(current, current.nullable)}`);
    steps.lines.push(`enum ${column.name} gained ${added.join(", ")}`);
  }
}

/** Plans the migration of `table` (as `actual` describes it) from `before` to `after`. */
export function planMigration(
  table: string,
  actual: readonly TableColumn[],
  before: TableModel,
  after: TableModel,
): MigrationPlan {
  if (!sameKeys(before, after)) {
    const flags = `--namespace ${after.namespace} --table ${after.table}`;
    throw new UsageError(
      `Cannot syncdb ${after.namespace}.${after.table}: its key changed (${
        before.keys.join(", ")
      } -> ${after.keys.join(", ")}); rebuild it: dap dropdb ${flags}, then dap initdb ${flags}`,
    );
  }
  const byName = new Map(actual.map((c) => [c.name, c]));
  const steps: Steps = { forward: [], backward: [], lines: [], drops: [] };
  addColumns(after, byName, steps);
  dropColumns(after, byName, steps);
  extendEnums(after, byName, steps);
  const name = quoteName(table);
  return {
    alter: steps.forward.length > 0 ? `ALTER TABLE ${name} ${steps.forward.join(", ")}` : undefined,
    undo: steps.backward.length > 0
      ? `ALTER TABLE ${name} ${steps.backward.reverse().join(", ")}`
      : undefined,
    drops: steps.drops,
    lines: steps.lines,
  };
}

/** The ALTER TABLE that drops the removed columns (it commits the transaction first, as all DDL does). */
export function dropColumnsSql(table: string, columns: readonly string[]): string {
  return `ALTER TABLE ${quoteName(table)} ${
    columns.map((c) => `DROP COLUMN ${quoteName(c)}`).join(", ")
  }`;
}
