// Package hcapi serves healthchecks.io's Management API (v1, v2 and v3) and its per-project
// Prometheus endpoint over ttr's checks, so that healthchecks.io's clients — its Terraform
// provider, Ansible collection, Home Assistant integration, hcctl, Prometheus scrape jobs —
// work unchanged against ttr. A ttr user is a healthchecks.io project.
//
// It owns no state. Reads go to a narrow Store; every change to an existing check goes to
// the check's actor through Checks (the client ttr's own REST API uses); a check is created
// in the store, as the REST API creates it, since no actor exists before. Credentials are
// resolved through Resolver, so that what counts as a read-write or a read-only API key is
// decided by the edge that mounts the package.
//
// It imports messages, the persistence contract, persistence/keyring, http/limit and the pure
// packages under actors/ (checkconfig to build and validate configurations, checklogic for
// the derived statuses); never an actor, a store implementation, cluster or the edge itself.
// docs/api.md ("healthchecks.io Management API") lists what it serves and every intended
// difference from healthchecks.io.
package hcapi
