/**
 * The emulator's catalogue: which namespaces and tables exist and what columns
 * each table has. Nine tables are described by hand after the published
 * schemas; every other listed table gets a plausible generated description so
 * that `--table all` works over a whole namespace.
 */
import type { Column, ColumnKind, TableSpec } from "./columns.ts";
import { TABLE_NAMES } from "./table_names.ts";

function col(name: string, kind: ColumnKind, extra: Partial<Column> = {}): Column {
  return { name, kind, ...extra };
}
const req = (name: string, kind: ColumnKind, extra: Partial<Column> = {}): Column =>
  col(name, kind, { ...extra, required: true });
const str = (name: string, maxLength = 255): Column => col(name, "string", { maxLength });
const en = (name: string, values: string[], required = false): Column =>
  col(name, "enum", { values, required });

const ID64: Column[] = [col("id", "int64")];
const STAMPS: Column[] = [req("created_at", "date-time"), req("updated_at", "date-time")];

const COURSE_SETTINGS = [
  "allow_student_discussion_editing",
  "allow_student_discussion_topics",
  "course_format",
  "filter_speed_grader_by_student_group",
  "hide_distribution_graphs",
  "hide_final_grade",
  "is_public_to_auth_users",
  "lock_all_announcements",
  "public_syllabus",
  "public_syllabus_to_auth",
  "restrict_student_future_view",
  "restrict_student_past_view",
  "syllabus_updated_at",
  "usage_rights_required",
  "allow_student_forum_attachments",
].map((name) => col(name, "string"));

const COURSES: TableSpec = {
  key: ID64,
  value: [
    col("storage_quota", "int64"),
    str("integration_id"),
    str("lti_context_id"),
    col("sis_batch_id", "int64"),
    ...STAMPS,
    en("workflow_state", ["created", "claimed", "available", "completed", "deleted"], true),
    req("account_id", "int64"),
    col("grading_standard_id", "int64"),
    col("start_at", "date-time"),
    str("sis_source_id"),
    str("group_weighting_scheme"),
    col("conclude_at", "date-time"),
    col("is_public", "boolean"),
    col("allow_student_wiki_edits", "boolean"),
    col("syllabus_body", "truncatable"),
    str("default_wiki_editing_roles"),
    col("wiki_id", "int64"),
    req("allow_student_organized_groups", "boolean"),
    str("course_code"),
    str("default_view"),
    col("abstract_course_id", "int64"),
    req("enrollment_term_id", "int64"),
    col("open_enrollment", "boolean"),
    col("tab_configuration", "string"),
    col("turnitin_comments", "truncatable"),
    col("self_enrollment", "boolean"),
    str("license"),
    col("indexed", "boolean"),
    col("restrict_enrollments_to_course_dates", "boolean"),
    col("template_course_id", "int64"),
    col("replacement_course_id", "int64"),
    col("public_description", "truncatable"),
    str("self_enrollment_code"),
    col("self_enrollment_limit", "int32"),
    col("turnitin_id", "int64"),
    col("show_announcements_on_home_page", "boolean"),
    col("home_page_announcement_limit", "int32"),
    col("latest_outcome_import_id", "int64"),
    str("grade_passback_setting"),
    req("template", "boolean"),
    req("homeroom_course", "boolean"),
    req("sync_enrollments_from_homeroom", "boolean"),
    col("homeroom_course_id", "int64"),
    str("locale"),
    str("name"),
    str("time_zone"),
    str("uuid"),
    col("settings", "object", { properties: COURSE_SETTINGS }),
  ],
};

const ACCOUNTS: TableSpec = {
  key: ID64,
  value: [
    str("name"),
    ...STAMPS,
    en("workflow_state", ["active", "deleted", "suspended"], true),
    col("deleted_at", "date-time"),
    col("parent_account_id", "int64"),
    col("root_account_id", "int64"),
    col("default_storage_quota", "int64"),
    col("default_user_storage_quota", "int64"),
    col("default_group_storage_quota", "int64"),
    str("default_time_zone"),
    str("default_locale"),
    str("sis_source_id"),
    str("integration_id"),
    col("lti_context_id", "string"),
    col("uuid", "string"),
    col("settings", "json"),
    col("allow_sis_import", "boolean"),
    col("course_template_id", "int64"),
  ],
};

const USERS: TableSpec = {
  key: ID64,
  value: [
    str("name"),
    str("sortable_name"),
    str("short_name"),
    ...STAMPS,
    en("workflow_state", ["pre_registered", "registered", "creation_pending", "deleted"], true),
    str("time_zone"),
    str("uuid"),
    col("avatar_image_url", "string"),
    en("avatar_image_source", ["no_pic", "twitter", "linked_in", "external", "gravatar"]),
    col("avatar_image_updated_at", "date-time"),
    str("school_name"),
    str("school_position"),
    str("locale"),
    col("public", "boolean"),
    col("lti_context_id", "string"),
    col("merged_into_user_id", "int64"),
    col("pronouns", "string"),
    col("birthdate", "date"),
  ],
};

const ENROLLMENTS: TableSpec = {
  key: ID64,
  value: [
    req("user_id", "int64"),
    req("course_id", "int64"),
    req("root_account_id", "int64"),
    req("course_section_id", "int64"),
    en("type", [
      "StudentEnrollment",
      "TeacherEnrollment",
      "TaEnrollment",
      "DesignerEnrollment",
      "ObserverEnrollment",
      "StudentViewEnrollment",
    ], true),
    en("workflow_state", [
      "active",
      "invited",
      "creation_pending",
      "deleted",
      "rejected",
      "completed",
      "inactive",
    ], true),
    ...STAMPS,
    col("start_at", "date-time"),
    col("end_at", "date-time"),
    col("completed_at", "date-time"),
    col("last_activity_at", "date-time"),
    col("total_activity_time", "int32"),
    col("role_id", "int64"),
    col("associated_user_id", "int64"),
    col("sis_batch_id", "int64"),
    col("limit_privileges_to_course_section", "boolean"),
    col("self_enrolled", "boolean"),
    col("sis_pseudonym_id", "int64"),
  ],
};

const ASSIGNMENTS: TableSpec = {
  key: ID64,
  value: [
    str("title"),
    col("description", "truncatable"),
    col("due_at", "date-time"),
    col("unlock_at", "date-time"),
    col("lock_at", "date-time"),
    col("points_possible", "number"),
    en("grading_type", ["pass_fail", "percent", "letter_grade", "gpa_scale", "points"]),
    col("submission_types", "array"),
    en("workflow_state", ["unpublished", "published", "deleted"], true),
    req("context_id", "int64"),
    en("context_type", ["Course"]),
    col("assignment_group_id", "int64"),
    col("grading_standard_id", "int64"),
    ...STAMPS,
    col("position", "int32"),
    col("peer_reviews", "boolean"),
    col("automatic_peer_reviews", "boolean"),
    col("anonymous_grading", "boolean"),
    col("omit_from_final_grade", "boolean"),
    col("allowed_attempts", "int32"),
    col("allowed_extensions", "array"),
    col("integration_data", "json"),
    col("turnitin_settings", "object", {
      properties: [
        col("originality_report_visibility", "string"),
        col("s_paper_check", "boolean"),
        col("internet_check", "boolean"),
      ],
    }),
  ],
};

const SUBMISSIONS: TableSpec = {
  key: ID64,
  value: [
    req("assignment_id", "int64"),
    req("user_id", "int64"),
    col("body", "truncatable"),
    col("url", "string"),
    col("score", "number"),
    col("grade", "string"),
    col("attempt", "int32"),
    en("submission_type", ["online_text_entry", "online_url", "online_upload", "media_recording"]),
    en("workflow_state", ["submitted", "unsubmitted", "graded", "pending_review", "deleted"], true),
    ...STAMPS,
    col("submitted_at", "date-time"),
    col("graded_at", "date-time"),
    col("grader_id", "int64"),
    col("excused", "boolean"),
    col("late_policy_status", "string"),
    col("points_deducted", "number"),
    col("seconds_late_override", "int64"),
    col("extra_attempts", "int32"),
    col("posted_at", "date-time"),
    col("attachment_ids", "array"),
  ],
};

const PSEUDONYMS: TableSpec = {
  key: ID64,
  value: [
    req("user_id", "int64"),
    req("account_id", "int64"),
    en("workflow_state", ["active", "deleted", "suspended"], true),
    str("unique_id"),
    col("login_count", "int32"),
    col("failed_login_count", "int32"),
    col("last_request_at", "date-time"),
    col("last_login_at", "date-time"),
    col("current_login_at", "date-time"),
    col("last_login_ip", "ipv4"),
    col("current_login_ip", "ipv4"),
    str("sis_user_id"),
    str("integration_id"),
    col("authentication_provider_id", "int64"),
    ...STAMPS,
    col("deleted_at", "date-time"),
    col("position", "int32"),
  ],
};

const WEB_LOGS: TableSpec = {
  key: [col("id", "uuid")],
  value: [
    req("timestamp", "date-time"),
    col("user_id", "int64"),
    col("real_user_id", "int64"),
    col("course_id", "int64"),
    col("quiz_id", "int64"),
    col("discussion_id", "int64"),
    col("conversation_id", "int64"),
    col("assignment_id", "int64"),
    col("url", "string"),
    en("http_method", ["get", "post", "put", "patch", "delete", "head", "options"]),
    en("http_status", [
      "200",
      "201",
      "204",
      "301",
      "302",
      "304",
      "400",
      "401",
      "403",
      "404",
      "500",
    ]),
    en("http_version", ["HTTP/1.0", "HTTP/1.1", "HTTP/2.0"]),
    col("remote_ip", "ipv4"),
    col("interaction_micros", "int32"),
    col("web_application_controller", "string"),
    col("web_application_action", "string"),
    col("web_application_context_type", "string"),
    col("session_id", "uuid"),
    col("participated", "boolean"),
    col("user_agent", "string"),
    col("developer_key_id", "int64"),
  ],
};

const CATALOG_USERS: TableSpec = {
  key: [col("id", "int32")],
  value: [
    req("canvas_user_id", "int64"),
    req("catalog_id", "int32"),
    str("email"),
    str("name"),
    col("registered_at", "date-time"),
    ...STAMPS,
    col("root_account_id", "int32"),
    col("confirmed", "boolean"),
    col("registration_data", "json"),
  ],
};

const HAND_WRITTEN: Record<string, TableSpec> = {
  "canvas.accounts": ACCOUNTS,
  "canvas.courses": COURSES,
  "canvas.users": USERS,
  "canvas.enrollments": ENROLLMENTS,
  "canvas.submissions": SUBMISSIONS,
  "canvas.assignments": ASSIGNMENTS,
  "canvas.pseudonyms": PSEUDONYMS,
  "canvas_logs.web_logs": WEB_LOGS,
  "catalog.users": CATALOG_USERS,
};

/** A plausible description for a table without a hand-written one. */
function generatedSpec(namespace: string, table: string): TableSpec {
  const idKind: ColumnKind = namespace === "catalog" ? "int32" : "int64";
  const singular = table.replace(/ies$/, "y").replace(/s$/, "");
  return {
    key: [col("id", idKind)],
    value: [
      ...STAMPS,
      en("workflow_state", ["active", "deleted"], true),
      col("root_account_id", idKind),
      col(`${singular === "account" ? "parent" : "context"}_id`, idKind),
      str("name"),
      col("description", "truncatable"),
      col("position", "int32"),
      col("score", "number"),
      col("enabled", "boolean"),
      col("metadata", "json"),
    ],
  };
}

/** The tables of a namespace, or undefined when the namespace is unknown. */
export function listTables(namespace: string): readonly string[] | undefined {
  return Object.hasOwn(TABLE_NAMES, namespace) ? TABLE_NAMES[namespace] : undefined;
}

/** The column description of a table, or undefined when it does not exist. */
export function findTable(namespace: string, table: string): TableSpec | undefined {
  if (!listTables(namespace)?.includes(table)) return undefined;
  return HAND_WRITTEN[`${namespace}.${table}`] ?? generatedSpec(namespace, table);
}

/** The schema version the emulator serves for a table. */
export function schemaVersion(namespace: string, table: string): number {
  return HAND_WRITTEN[`${namespace}.${table}`] ? 3 : 1;
}
