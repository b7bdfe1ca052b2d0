-- Messages change after they arrive (seen, delivery and read receipts, reactions, edits), and none of
-- those columns is indexed: with room left on each page, such an update is HOT (no index entry
-- written). Rows written from now on leave 15 % of each page free.
ALTER TABLE "messages" SET (fillfactor = 85);
