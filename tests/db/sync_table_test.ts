import { assertEquals, assertThrows } from "../support/assert.ts";
import {
  canonicalTimestamp,
  checkSyncState,
  stateRefusal,
  storedModel,
} from "../../src/db/sync_table.ts";
import { UsageError } from "../../src/errors.ts";

Deno.test("canonicalTimestamp() spells an instant one way: UTC, Z, no zero fraction", () => {
  assertEquals(canonicalTimestamp("2026-11-23T09:00:00.000Z"), "2026-11-23T09:00:00Z");
  assertEquals(canonicalTimestamp("2026-11-23T09:00:00Z"), "2026-11-23T09:00:00Z");
  assertEquals(
    canonicalTimestamp("2026-11-23T11:00:00.1234567+02:00"),
    "2026-11-23T09:00:00.123456Z",
  );
  assertEquals(canonicalTimestamp("2026-11-23 09:00:00.50"), "2026-11-23T09:00:00.5Z");
  assertThrows(
    () => canonicalTimestamp("yesterday"),
    SyntaxError,
    "Cannot read the timestamp 'yesterday'",
  );
});

Deno.test("storedModel() reads the stored schema, bare or as a whole answer; checkSyncState() names the command to run", () => {
  const schema = { properties: { key: { properties: { id: { type: "integer" } } } } };
  const row = {
    namespace: "canvas",
    table: "t",
    timestamp: "2026-01-01T00:00:00Z",
    schemaVersion: 4,
    schemaDescription: JSON.stringify(schema),
    targetSchema: "canvas",
    targetTable: "t",
  };
  assertEquals(storedModel(row).version, 4);
  assertEquals(
    storedModel({ ...row, schemaDescription: JSON.stringify({ schema, version: 4 }) }).keys,
    ["id"],
  );
  assertThrows(
    () => storedModel({ ...row, schemaDescription: "{" }),
    SyntaxError,
    "it is not JSON",
  );
  const name = { namespace: "canvas", table: "t" };
  assertThrows(
    () => checkSyncState("initdb", name, row),
    UsageError,
    "run dap syncdb --namespace canvas --table t",
  );
  assertThrows(
    () => checkSyncState("syncdb", name, undefined),
    UsageError,
    "run dap initdb --namespace canvas --table t",
  );
  assertThrows(
    () => checkSyncState("dropdb", name, undefined),
    UsageError,
    "the database does not hold it",
  );
  checkSyncState("syncdb", name, row);
  assertEquals(
    stateRefusal("initdb", "canvas", ["a", "b"]).message,
    "Cannot initdb canvas.a, canvas.b: already initialised; run dap syncdb --namespace canvas --table a,b",
  );
});
