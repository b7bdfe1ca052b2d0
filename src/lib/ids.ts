/**
 * @module lib/ids
 * Id generation comes in from the edge, like time.
 */
export interface IdGenerator {
  /** A new random UUID (v4). */
  uuid(): string;
}
