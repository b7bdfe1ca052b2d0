import { defineConfig } from "drizzle-kit";

/** `bun run db:generate` writes a new migration into drizzle/ from src/schema.ts. */
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/schema.ts",
  out: "./drizzle",
  casing: "snake_case",
});
