/// The one numbering of changes to what a chart shows (plans, orders, lab orders): the chart's stream
/// uses it as its event id, so a `Last-Event-ID` covers all three. Each statement that stores a change
/// takes the next number inside its write transaction, which SQLite runs one at a time. PostgreSQL runs
/// writes SERIALIZABLE: two that read the same max abort one with a serialization failure, and
/// `PostgresDatabase.write` runs its body again, so the numbers stay unique without a sequence of their own.
enum ChangeSequence {
    /// A scalar subquery for the next number; every table it reads has `change_seq` UNIQUE.
    static let next = """
        (SELECT coalesce(max(seq), 0) + 1 FROM (
            SELECT max(change_seq) AS seq FROM treatment_plans
            UNION ALL SELECT max(change_seq) FROM orders
            UNION ALL SELECT max(change_seq) FROM lab_orders
        ) AS changes)
        """
}
