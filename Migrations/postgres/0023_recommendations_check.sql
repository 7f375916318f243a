-- Migrations/sqlite/0023_recommendations_check.sql for PostgreSQL: nothing to change. SQLite rebuilt
-- recommendations to write its link_kind check without an IN list, which it checked by building a temporary
-- index on every insert; PostgreSQL checks the same list without one, and rewriting its constraint would lock
-- the table and scan every row. The number is kept so that both stores keep one migration history, which
-- migrate --copy-to compares.
SELECT 1;
