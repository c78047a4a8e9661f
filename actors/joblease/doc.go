// Package joblease holds a store-backed named lease for the length of one run of a
// cluster-wide background job (the cleanup of inactive accounts, retention pruning), so one
// node at a time runs it. The lease lives in the store's job_leases table
// (persistence.CleanupStore's AcquireJobLease and ReleaseJobLease); a holder that stops
// renewing loses it once its TTL has passed.
//
// It imports nothing of ours.
package joblease
