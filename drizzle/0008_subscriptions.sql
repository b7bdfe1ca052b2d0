CREATE TABLE "subscription_deliveries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "subscription_deliveries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"subscription_id" text NOT NULL,
	"event_id" text NOT NULL,
	"topic" text NOT NULL,
	"attempt" integer NOT NULL,
	"outcome" text NOT NULL,
	"status_code" integer,
	"duration_ms" integer NOT NULL,
	"error" text,
	"replica" text,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "subscription_delivery_state" (
	"subscription_id" text PRIMARY KEY NOT NULL,
	"checkpoint_transaction_id" "xid8" NOT NULL,
	"checkpoint_position" bigint NOT NULL,
	"owner" text,
	"lease_expires_at" timestamp (3) with time zone,
	"failures" integer DEFAULT 0 NOT NULL,
	"failing_since" timestamp (3) with time zone,
	"next_attempt_at" timestamp (3) with time zone,
	"last_error" text,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "subscription_pending" (
	"subscription_id" text NOT NULL,
	"event_id" text NOT NULL,
	"transaction_id" "xid8" NOT NULL,
	"global_position" bigint NOT NULL,
	"order_key" text NOT NULL,
	"topic" text NOT NULL,
	"payload" jsonb NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "subscription_pending_subscription_id_event_id_pk" PRIMARY KEY("subscription_id","event_id")
);
--> statement-breakpoint
CREATE TABLE "subscription_secrets" (
	"subscription_id" text NOT NULL,
	"version" integer NOT NULL,
	"secret" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp (3) with time zone,
	CONSTRAINT "subscription_secrets_subscription_id_version_pk" PRIMARY KEY("subscription_id","version")
);
--> statement-breakpoint
CREATE TABLE "subscriptions" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"url" text NOT NULL,
	"events" jsonb NOT NULL,
	"account_ids" jsonb,
	"description" text NOT NULL,
	"enabled" boolean NOT NULL,
	"disabled_reason" text,
	"secret_version" integer NOT NULL,
	"created_transaction_id" text NOT NULL,
	"created_position" bigint NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "subscription_deliveries_sub_idx" ON "subscription_deliveries" USING btree ("subscription_id","id");--> statement-breakpoint
CREATE INDEX "subscription_pending_order_idx" ON "subscription_pending" USING btree ("subscription_id","order_key","transaction_id","global_position");--> statement-breakpoint
CREATE INDEX "subscriptions_user_idx" ON "subscriptions" USING btree ("user_id","created_at");