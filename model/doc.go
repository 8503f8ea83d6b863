// Package model holds h2ogpte-keys' domain types and rules: users, collections,
// API keys and their status, the parsing of expiry and inactivity input, and the
// Secret type that keeps a new key's secret out of logs. It does no I/O and
// knows nothing of terminals.
package model
