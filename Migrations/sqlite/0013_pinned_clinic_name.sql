-- The name of a tenant's pinned Fullscript clinic, kept with the pin: a practitioner refused for
-- connecting another clinic's account is told which clinic to sign in to, and operators see it in
-- `tenants list` and `doctor`. NULL until the first connection pins the clinic.
ALTER TABLE tenants ADD COLUMN fullscript_clinic_name TEXT;
