-- What was received, byte for byte, beside an event whose JSON had to differ from it (text Postgres
-- cannot store was replaced, or a webhook body was not UTF-8). Null for every other event: adding a
-- nullable column without a default rewrites nothing.
ALTER TABLE "events" ADD COLUMN "raw" "bytea";
