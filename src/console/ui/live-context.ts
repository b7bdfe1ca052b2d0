/**
 * The event stream shared by the console's pages: `useLive(handler)`
 * subscribes a page to the events `App` reads from `/api/events/stream`.
 */
import { createContext, useContext, useEffect, useRef } from "react";
import type { LiveEvent } from "./model";

export interface LiveHub {
  subscribe(handler: (event: LiveEvent) => void): () => void;
}

export const LiveContext = createContext<LiveHub>({ subscribe: () => () => undefined });

export function createLiveHub(): LiveHub & { publish(event: LiveEvent): void } {
  const handlers = new Set<(event: LiveEvent) => void>();
  return {
    subscribe(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    publish(event) {
      for (const handler of handlers) handler(event);
    },
  };
}

export function useLive(handler: (event: LiveEvent) => void) {
  const hub = useContext(LiveContext);
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    const unsubscribe = hub.subscribe((event) => latest.current(event));
    return () => void unsubscribe();
  }, [hub]);
}
