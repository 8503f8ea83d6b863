package history

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations returns the schema steps in order; step i takes the file from
// user_version i to i+1. Append only: a released migration never changes,
// because files in the field have already run it.
//
// Times are Unix milliseconds; days are whole UTC days since the Unix epoch,
// so writers in different time zones agree on what a day is.
func migrations() []string {
	return []string{
		// 1: servers, the latest state of each key, raw observations, daily roll-ups.
		`CREATE TABLE servers (
		id      INTEGER PRIMARY KEY,
		address TEXT NOT NULL UNIQUE
	);
	CREATE TABLE keys (
		id          INTEGER PRIMARY KEY,
		server_id   INTEGER NOT NULL REFERENCES servers(id),
		key_id      TEXT NOT NULL,
		name        TEXT NOT NULL,
		username    TEXT NOT NULL,
		seen_at     INTEGER NOT NULL,
		calls_since INTEGER,
		base_total  INTEGER,
		base_at     INTEGER,
		obs_total   INTEGER,
		obs_used    INTEGER,
		obs_active  INTEGER NOT NULL,
		obs_expires INTEGER,
		UNIQUE (server_id, key_id)
	);
	CREATE TABLE observations (
		server_id INTEGER NOT NULL,
		at        INTEGER NOT NULL,
		key_ref   INTEGER NOT NULL,
		from_at   INTEGER,
		total     INTEGER,
		calls     INTEGER,
		used      INTEGER,
		active    INTEGER NOT NULL,
		expires   INTEGER,
		flags     INTEGER NOT NULL,
		PRIMARY KEY (server_id, at, key_ref)
	) WITHOUT ROWID;
	CREATE TABLE daily (
		server_id INTEGER NOT NULL,
		day       INTEGER NOT NULL,
		key_ref   INTEGER NOT NULL,
		calls     INTEGER NOT NULL,
		flags     INTEGER NOT NULL,
		PRIMARY KEY (server_id, day, key_ref)
	) WITHOUT ROWID;`,
		// 2: per-key daily lookups for sparklines, and file-wide bookkeeping
		// (when the file was last pruned) shared by every writer.
		`CREATE INDEX daily_key ON daily (key_ref, day);
	CREATE TABLE meta (
		name  TEXT PRIMARY KEY,
		value INTEGER NOT NULL
	) WITHOUT ROWID;`,
		// 3: one packed summary per server (see summary.go), so that reads
		// of every key cost one row instead of one per key.
		`CREATE TABLE summaries (
		server_id INTEGER PRIMARY KEY,
		gen       INTEGER NOT NULL,
		data      BLOB NOT NULL
	);`,
		// 4: the summary in parts of a few thousand keys each (see
		// summary.go): one blob of a million keys is written through
		// several whole copies at once. summaries keeps the generation;
		// its data is empty for a summary kept in parts.
		`CREATE TABLE summary_parts (
		server_id INTEGER NOT NULL,
		part      INTEGER NOT NULL,
		data      BLOB NOT NULL,
		PRIMARY KEY (server_id, part)
	);`,
	}
}

// migrate brings db up to schema version target. It runs in one immediate
// transaction, so two processes opening a new file at once do not both
// create the tables; the second sees the first's version and does nothing.
func migrate(ctx context.Context, db *sql.DB, target int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return fmt.Errorf("migrate: read version: %w", err)
	}
	steps := migrations()
	if v > len(steps) {
		return fmt.Errorf("migrate: file has schema version %d, newer than this program's %d", v, len(steps))
	}
	for ; v < target; v++ {
		if _, err := tx.ExecContext(ctx, steps[v]); err != nil {
			return fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
	}
	// PRAGMA takes no parameters; v is an int this function computed.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, v)); err != nil {
		return fmt.Errorf("migrate: set version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}
