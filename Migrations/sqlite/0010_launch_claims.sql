-- Least privilege from the launch: the launch token's optional claims, kept with the session they
-- started. `patient_id` binds the session to one EHR patient; `roles` holds the token's roles,
-- space-separated (e.g. 'viewer'). NULL in either is a token without that claim: today's behaviour.
ALTER TABLE sessions ADD COLUMN patient_id TEXT;
ALTER TABLE sessions ADD COLUMN roles TEXT;
