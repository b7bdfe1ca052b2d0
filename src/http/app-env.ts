/**
 * @module http/app-env
 * The Hono environment shared by every route: what middleware puts on `c.var`.
 */
import type { Logger } from "pino";

/** The authenticated caller. */
export interface Principal {
  /** The JWT `sub`. */
  userId: string;
  roles: readonly string[];
}

export type AppEnv = {
  Variables: {
    requestId: string;
    logger: Logger;
    principal: Principal;
    /** How deep a JSON body may nest (`JSON_MAX_DEPTH`); see http/json-body. */
    jsonMaxDepth: number;
  };
};
