/** The flags `initdb` and `syncdb` share, declared once. */
import type { FlagsOf } from "../command_tree/option_spec.ts";
import { TARGET_OPTIONS } from "./export_options.ts";
import { RUN_OPTIONS } from "./run_options.ts";

/** The database flags. */
export const DATABASE_OPTIONS = {
  ...TARGET_OPTIONS,
  connectionString: {
    flags: "--connection-string <url>",
    description:
      "postgresql://user:pass@host:port/db, mysql://..., or sqlite:///path/file.db (env DAP_CONNECTION_STRING)",
  },
  ...RUN_OPTIONS,
} as const;

/** The database flags as parsed. */
export type DatabaseFlags = FlagsOf<typeof DATABASE_OPTIONS>;
