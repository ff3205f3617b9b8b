/**
 * What the emulator's parts share: the settings in force, the signing key,
 * the id counter, the answer helpers and the logs tests read. The `Emulator`
 * class owns the one instance; the parts hold it and never copy settings out
 * of it, so `configure()` reaches them at once.
 */
import type { ResolvedOptions } from "./emulator_options.ts";
import type { Fault } from "./faults.ts";
import type { Responses } from "./responses.ts";

/** The state every part of the emulator reads and writes. */
export interface SharedState {
  readonly options: ResolvedOptions;
  /** signs tokens and URLs; derived from the seed */
  readonly signingKey: string;
  /** every token and URL signature handed out */
  readonly issuedSecrets: string[];
  readonly respond: Responses;
  /** A fresh deterministic uuid: seeded, salted and counted, so call order matters. */
  uuid(salt: string): string;
  /** Counts one injected fault by kind. */
  countFault(fault: Fault): void;
  /** Counts download body bytes handed to the transport. */
  countServed(bytes: number): void;
}
