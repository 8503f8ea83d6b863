// Package history is the usage history of API keys: an embedded SQLite file
// (pure-Go driver, no cgo) that remembers what each read of the keys said,
// so that a running total can be turned into calls per day, and keys whose
// use suddenly changed can be found.
//
// # Where
//
// DefaultPath gives $XDG_STATE_HOME/h2ogpte-keys/history.db (else
// ~/.local/state/h2ogpte-keys/history.db). Open creates the directory 0700
// and the file 0600; SQLite gives its -wal and -shm companions the same
// mode. The file is in WAL mode with a busy timeout and every write
// transaction takes the write lock up front, so the dashboard, a cron
// `snapshot` and the SSH service can record into one file at once: writers
// queue, readers never wait. One file holds any number of servers; each
// Store reads and writes only its own server's rows, keyed by the
// normalised address (NormalizeServer), so two servers never mix.
//
// # What is recorded
//
// Record takes one read of keys and its time. For each key whose
// total_calls, last_used_at, is_active or expiry differs from its last
// observation it stores an observation: those four values and the read's
// time. For every key it keeps one row with its current name and username
// (so a deleted key's history stays labelled), when it was last seen, and
// the last known total. Nothing secret exists to store: the API never sends
// a key's secret after creation, and the hint is not stored either. Keys
// whose server does not report total_calls are recorded without calls.
//
// # Retention
//
// Raw observations are kept 90 days and daily roll-ups 2 years by default
// (Options.RawRetention, Options.DailyRetention). Pruning runs inside a
// Record at most once a day per file. Keys not seen for the daily retention
// period are forgotten. Usage windows that reach past the raw retention, and
// Daily days past the daily retention, are reported as not covered.
//
// # Arithmetic
//
// Calls between two reads are the difference of the totals. They were made
// after the last read that confirmed the old total and before the new read,
// and are attributed to that interval. A total that went down (the key was
// re-created or its counter reset) is a new baseline: the interval's calls
// are unknown, so nothing is counted for it, and the observation, the day
// and Usage are flagged Reset; a count is never negative. The first total
// known for a key is a baseline too: calls before it are not history.
//
// Daily roll-ups are per UTC day. An interval that spans several days is
// spread over them in proportion to the time spent in each (rounded so the
// parts add up exactly) and those days are marked Estimated. Usage windows
// (last 24 h, 7 days, 30 days) take the same proportional share of an
// interval that straddles the window's start, and say so with Estimated.
//
// Numbers are never invented: a window that history does not fully cover
// (the first known total is younger than the window, or the key was last
// seen before it began) is nil, not 0, and Daily returns only the days
// covered, with the start of coverage.
//
// # Use changed
//
// Usage.Change compares the last 24 h with a baseline of the 7 whole UTC
// days before the one containing now-24h: a spike is more than 100 calls
// and more than 10 times the baseline days' median; silence is no call in
// the last 24 h after steady use, meaning calls on at least 5 of the 7
// baseline days. Keys whose history does not cover the baseline are not
// judged.
//
// # Speed
//
// Reading 100,000 rows through database/sql costs about a microsecond each,
// more than the whole arithmetic. So each server also has one packed
// summary: every key's latest state and its intervals of the last 31
// days, in parts of 20,000 keys (a generation in summaries, the parts in
// summary_parts), rewritten by Record in the same transaction. Record
// reads its previous states from it and changes them in place, and Usage
// computes every window from it without touching the other tables; a
// Store keeps the decoded summary and reuses it while the summary's
// generation (bumped by every write, from any process) is unchanged, so
// repeated Usage calls read one small row (Forget lets it go, for a
// process that would rather read it again than keep it). Record reads
// the keys as a sequence (RecordSeq), so a caller need not copy a million
// keys into one slice. The tables remain the record of truth: a missing
// or unreadable summary is rebuilt from them. New rows are inserted in
// batches of 100.
//
// # Schema
//
// The schema version is SQLite's user_version; Open applies the missing
// steps of an ordered list of migrations in one transaction, and refuses a
// file written by a newer program.
package history
