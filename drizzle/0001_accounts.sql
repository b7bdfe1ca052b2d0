CREATE TABLE "accounts" (
	"unipile_account_id" text PRIMARY KEY NOT NULL,
	"id" uuid,
	"user_id" text,
	"provider" text NOT NULL,
	"status" text NOT NULL,
	"unipile_status" text,
	"status_reason" text,
	"connection_method" text,
	"phone_number" text,
	"name" text,
	"qr_expires_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"status_changed_at" timestamp (3) with time zone,
	"connected_at" timestamp (3) with time zone,
	"last_sync" timestamp (3) with time zone,
	"disconnected_at" timestamp (3) with time zone,
	CONSTRAINT "accounts_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE INDEX "accounts_user_idx" ON "accounts" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "accounts_status_idx" ON "accounts" USING btree ("status");