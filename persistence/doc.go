// Package persistence defines the Store: everything ttr keeps durably (users, checks, the ping
// log, flips, channels, the alert outbox), with its error contract. Its implementations live in
// persistence/sqlite (the embedded default) and persistence/postgres; persistence/storetest is
// the conformance suite both must pass. The SQL the two share is written once, in
// persistence/internal/sqlstore. persistence/keyring seals secrets at rest.
//
// It imports only messages. It knows no actors and no HTTP.
package persistence
