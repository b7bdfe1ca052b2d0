/**
 * @module console
 * The console served by the service at `/` and `/console`: a React app
 * bundled by Bun at first request (serve.ts), and its few server routes
 * (routes.ts). The React components live beside them (components/, pages/)
 * and are reused by CommSync's own React app.
 */
export { CONSOLE_CSP, consoleBundle, consolePages } from "./serve";
export { consoleRoutes, type ConsoleRoutesDeps } from "./routes";
