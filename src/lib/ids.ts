/**
 * @module lib/ids
 * Id generation comes in from the edge, like time.
 */
export interface IdGenerator {
  /** A new random UUID (v4). */
  uuid(): string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID.test(value);
