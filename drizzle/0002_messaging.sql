CREATE TABLE "conversations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"unipile_chat_id" text NOT NULL,
	"unipile_account_id" text NOT NULL,
	"account_id" uuid,
	"user_id" text,
	"provider_chat_id" text,
	"name" text,
	"type" text NOT NULL,
	"attendees" jsonb NOT NULL,
	"last_activity_at" timestamp (3) with time zone NOT NULL,
	"last_message_at" timestamp (3) with time zone,
	"last_message_id" uuid,
	"last_message_preview" text,
	"unread_count" integer NOT NULL,
	"message_count" integer NOT NULL,
	"read_up_to" timestamp (3) with time zone,
	"details_known" boolean NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "conversations_unipile_chat_id_unique" UNIQUE("unipile_chat_id")
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"conversation_id" uuid,
	"unipile_account_id" text NOT NULL,
	"unipile_chat_id" text,
	"unipile_message_id" text,
	"provider_message_id" text,
	"send_id" uuid,
	"sender_attendee_id" text,
	"sender_provider_id" text,
	"sender_name" text,
	"sender_phone" text,
	"text" text,
	"attachments" jsonb NOT NULL,
	"quoted" jsonb,
	"reactions" jsonb NOT NULL,
	"sent_at" timestamp (3) with time zone NOT NULL,
	"is_sender" boolean NOT NULL,
	"status" text NOT NULL,
	"failure" jsonb,
	"edited" boolean NOT NULL,
	"edited_at" timestamp (3) with time zone,
	"deleted" boolean NOT NULL,
	"deleted_at" timestamp (3) with time zone,
	"seen" boolean NOT NULL,
	"delivered_at" timestamp (3) with time zone,
	"read_at" timestamp (3) with time zone,
	"arrived" boolean NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "messages_unipile_message_id_unique" UNIQUE("unipile_message_id")
);
--> statement-breakpoint
CREATE TABLE "messaging_accounts" (
	"unipile_account_id" text PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"user_id" text NOT NULL
);
--> statement-breakpoint
CREATE INDEX "conversations_user_activity_idx" ON "conversations" USING btree ("user_id","last_activity_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "conversations_account_activity_idx" ON "conversations" USING btree ("account_id","last_activity_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "conversations_unipile_account_idx" ON "conversations" USING btree ("unipile_account_id");--> statement-breakpoint
CREATE INDEX "messages_conversation_time_idx" ON "messages" USING btree ("conversation_id","sent_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE arrived;--> statement-breakpoint
CREATE INDEX "messages_send_idx" ON "messages" USING btree ("send_id");