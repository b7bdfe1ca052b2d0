CREATE TABLE "sync_leases" (
	"unipile_account_id" text PRIMARY KEY NOT NULL,
	"owner" text,
	"lease_expires_at" timestamp (3) with time zone,
	"next_run_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"blocked_until" timestamp (3) with time zone,
	"last_error" jsonb,
	"last_run_at" timestamp (3) with time zone,
	"last_success_at" timestamp (3) with time zone,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "backfill_run_id" uuid;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "backfill_reason" text;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "backfill_state" text;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "backfill_started_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "backfill_completed_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "backfill_chats_done" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "backfill_messages_seen" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "backfill_messages_imported" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "sync_position" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "sync_last_run_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "sync_last_trigger" text;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "sync_messages_imported" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "sync_gap_since" timestamp (3) with time zone;--> statement-breakpoint
CREATE INDEX "sync_leases_next_run_idx" ON "sync_leases" USING btree ("next_run_at");