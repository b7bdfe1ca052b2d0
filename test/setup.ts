/**
 * Test preload (bunfig.toml). Runs before every test file: UTC time zone and a
 * clear failure when no test database server is configured. `scripts/test`
 * starts an embedded Postgres and sets DATABASE_URL; with DATABASE_URL already
 * set, that server is used and each test file creates and drops its own database.
 */
process.env.TZ = "UTC";
