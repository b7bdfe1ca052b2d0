/**
 * @module projections/registry
 * Every projection the service runs, replays and verifies.
 */
import type { Projection } from "./projection";

export function allProjections(): Projection[] {
  return [];
}
