-- switchboard schema, version 35: where a number sent its texts before switchboard.
--
-- Attaching a number points its texts (SmsUrl) at switchboard along with its calls, so
-- giving it back must put its texts back too. NULL: not recorded (a number attached before
-- this version, whose texts switchboard never pointed anywhere): left as they are. An empty
-- text: the number had no SmsUrl, and gets none back.
ALTER TABLE agent_numbers ADD COLUMN previous_sms_url TEXT;
ALTER TABLE agent_numbers ADD COLUMN previous_sms_method TEXT;
ALTER TABLE number_holds ADD COLUMN previous_sms_url TEXT;
ALTER TABLE number_holds ADD COLUMN previous_sms_method TEXT;
