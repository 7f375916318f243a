-- Migrations/sqlite/0023_recommendations_check.sql for PostgreSQL: the same check on link_kind, written
-- as SQLite's now is. PostgreSQL had no cost to save here; the two stores keep one migration history.
ALTER TABLE recommendations DROP CONSTRAINT recommendations_link_kind_check;
ALTER TABLE recommendations ADD CONSTRAINT recommendations_link_kind_check
    CHECK (link_kind = 'draft' OR link_kind = 'gateway' OR link_kind = 'new');
