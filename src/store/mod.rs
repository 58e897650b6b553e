//! Storage: sqlx with runtime queries on SQLite (default) or PostgreSQL; one portable schema.
