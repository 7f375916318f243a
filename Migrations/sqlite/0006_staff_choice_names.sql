-- The practitioner's name as Fullscript gave it when a staff user chose them, so the chart can say
-- "Acting for Morgan Lee" without a call to Fullscript. Choices made before this stay nameless
-- until the user chooses again.
ALTER TABLE staff_practitioner_choices ADD COLUMN practitioner_name TEXT;
