import { assertEquals, assertThrows } from "../support/assert.ts";
import { modelChanges, tableModel } from "../../src/db/table_model.ts";
import { findTable } from "../emulator/catalogue.ts";
import { tableSchema } from "../emulator/columns.ts";

Deno.test("tableModel() maps canvas.courses as the contract's type table says", () => {
  const answer = { schema: tableSchema(findTable("canvas", "courses")!), version: 3 };
  const model = tableModel("canvas", "courses", answer);
  const byName = new Map(model.columns.map((c) => [c.name, c]));
  assertEquals(model.keys, ["id"]);
  assertEquals(model.columns[0], {
    name: "id",
    source: "key",
    header: "key.id",
    type: { kind: "int64" },
    nullable: false,
  });
  assertEquals(byName.get("name")?.type, { kind: "varchar", length: 255 });
  assertEquals(byName.get("created_at"), {
    name: "created_at",
    source: "value",
    header: "value.created_at",
    type: { kind: "timestamp" },
    nullable: false,
  });
  assertEquals(byName.get("start_at")?.nullable, true);
  assertEquals(byName.get("workflow_state")?.type, {
    kind: "enum",
    values: ["created", "claimed", "available", "completed", "deleted", "__dap_unspecified__"],
  });
  assertEquals(
    byName.get("syllabus_body")?.type,
    { kind: "text" },
    "the text beside the oversized placeholder",
  );
  assertEquals(byName.get("self_enrollment_limit")?.type, { kind: "int32" });
  assertEquals(byName.get("is_public")?.type, { kind: "boolean" });
  assertEquals(
    byName.get("settings")?.type,
    { kind: "json" },
    "nested objects are one JSON column",
  );
  assertEquals(
    model.columns.some((c) => c.name === "ts" || c.name === "action"),
    false,
    "meta is dropped",
  );
});

Deno.test("tableModel() adds __dap_unspecified__ to every enum and refuses a keyless schema", () => {
  const schema = {
    properties: {
      key: { properties: { id: { type: "string", format: "uuid" } }, required: ["id"] },
      value: { properties: { state: { type: "string", enum: ["a", "b"] }, n: { type: "number" } } },
    },
  };
  const model = tableModel("x", "t", { schema, version: 2 });
  assertEquals(model.columns.map((c) => c.type), [
    { kind: "uuid" },
    { kind: "enum", values: ["a", "b", "__dap_unspecified__"] },
    { kind: "double" },
  ]);
  assertThrows(
    () => tableModel("x", "t", { schema: { properties: {} }, version: 1 }),
    SyntaxError,
    "it has no key fields",
  );
});

Deno.test("modelChanges() finds added and removed columns and new enum values", () => {
  const schema = (value: Record<string, unknown>) => ({
    properties: { key: { properties: { id: { type: "integer" } } }, value: { properties: value } },
  });
  const before = tableModel("x", "t", {
    schema: schema({ a: { type: "string" }, e: { type: "string", enum: ["p"] } }),
    version: 1,
  });
  const after = tableModel("x", "t", {
    schema: schema({ e: { type: "string", enum: ["p", "q"] }, b: { type: "boolean" } }),
    version: 2,
  });
  const changes = modelChanges(before, after);
  assertEquals(changes.added.map((c) => c.name), ["b"]);
  assertEquals(changes.removed.map((c) => c.name), ["a"]);
  assertEquals(changes.enumValues.map((e) => [e.column.name, e.values]), [["e", ["q"]]]);
});
