-- switchboard schema, version 25: an account's transcript settings.
--
-- accounts.transcript_retention_days  transcripts older than this many days are deleted (the
--                                     call's row and outcome stay); NULL keeps them.
-- accounts.redact_transcripts         1: card numbers, emails and phone numbers are replaced
--                                     before a transcript is stored (src/telephony/redact.rs).
ALTER TABLE accounts ADD COLUMN transcript_retention_days BIGINT
    CONSTRAINT accounts_transcript_retention_days_check CHECK (transcript_retention_days > 0);
ALTER TABLE accounts ADD COLUMN redact_transcripts BIGINT NOT NULL DEFAULT 0
    CONSTRAINT accounts_redact_transcripts_check CHECK (redact_transcripts IN (0, 1));
