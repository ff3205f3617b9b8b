import { assertEquals } from "../support/assert.ts";
import { closestNames, editDistance } from "../../src/cli/closest_names.ts";

const TABLES = [
  "courses",
  "course_sections",
  "course_account_associations",
  "users",
  "user_notes",
  "roles",
];

Deno.test("editDistance() counts insertions, deletions and substitutions", () => {
  assertEquals([
    editDistance("course", "courses"),
    editDistance("", "ab"),
    editDistance("kitten", "sitting"),
  ], [1, 2, 3]);
});

Deno.test("closestNames() offers the names a few edits away, else those it begins", () => {
  assertEquals(closestNames("course", TABLES), ["courses"]);
  assertEquals(closestNames("usrs", TABLES), ["users"]);
  assertEquals(closestNames("course_", TABLES), ["courses"]);
  assertEquals(closestNames("course_acc", TABLES), ["course_account_associations"]);
  assertEquals(closestNames("nope", TABLES), []);
});
