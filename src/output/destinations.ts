/**
 * The registry of destinations: a configuration's `kind` picks the
 * implementation. Adding an output is one file plus its line here.
 */
import { type DatabaseConfig, databaseDestination } from "./database_destination.ts";
import type { Destination } from "./destination.ts";
import { type MergedConfig, mergedDestination } from "./merged_destination.ts";
import { type PartsConfig, partsDestination } from "./parts_destination.ts";

/** The configuration of any destination. */
export type DestinationConfig = PartsConfig | MergedConfig | DatabaseConfig;

const DESTINATIONS: {
  [K in DestinationConfig["kind"]]: (
    config: Extract<DestinationConfig, { kind: K }>,
  ) => Destination;
} = {
  parts: partsDestination,
  merged: mergedDestination,
  database: databaseDestination,
};

/** The destination a configuration names. */
export function createDestination(config: DestinationConfig): Destination {
  const create = DESTINATIONS[config.kind] as (config: DestinationConfig) => Destination;
  return create(config);
}
