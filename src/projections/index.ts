/**
 * @module projections
 * Projections turn the log into the tables queries read. See projection.ts for
 * the contract, runner.ts for the live loop, rebuild.ts for replay and verify.
 */
export * from "./projection";
export { createRowMapper, createTableWriter, defineRowProjection, type RowFold, type RowProjection, type RowProjectionSpec } from "./row-projection";
export { applyNextBatch } from "./apply-batch";
export { readCheckpoint } from "./checkpoints";
export { createProjectionRunner, projectionStatus, type ProjectionRunner, type ProjectionStatus } from "./runner";
export { rebuildProjection, verifyProjection, type ReplayProgress, type TableDiff, type VerifyReport } from "./rebuild";
