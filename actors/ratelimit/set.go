package ratelimit

import (
	"sync"
	"time"
)

// DefaultMaxKeys bounds a Set made with maxKeys <= 0.
const DefaultMaxKeys = 100_000

// Set is a bucket per key (a client IP, a credential, a user), all of one Limit. It is safe
// for concurrent use. Its memory is bounded: when it holds maxKeys buckets, the full ones
// (no different from new ones) are dropped, and if that is not enough, arbitrary others are,
// which can only ever give their keys a fresh allowance, never refuse anybody.
type Set struct {
	limit   Limit
	maxKeys int

	mu      sync.Mutex
	buckets map[string]*Bucket
}

// NewSet returns an empty set of buckets of l holding at most maxKeys (DefaultMaxKeys when
// maxKeys <= 0).
func NewSet(l Limit, maxKeys int) *Set {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	return &Set{limit: l, maxKeys: maxKeys, buckets: map[string]*Bucket{}}
}

// Limit is the set's limit.
func (s *Set) Limit() Limit { return s.limit }

// Take is Bucket.Take on key's bucket.
func (s *Set) Take(key string, now time.Time, n int) (ok bool, retryAfter time.Duration) {
	if s.limit.Off() {
		return true, 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bucket(key, now).Take(now, n)
}

// Charge is Bucket.Charge on key's bucket.
func (s *Set) Charge(key string, now time.Time, n float64) {
	if s.limit.Off() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bucket(key, now).Charge(now, n)
}

// Tokens is Bucket.Tokens of key's bucket (a full bucket's when it has none).
func (s *Set) Tokens(key string, now time.Time) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.buckets[key]; ok {
		return b.Tokens(now)
	}
	return NewBucket(s.limit).Tokens(now)
}

// Len is the number of buckets held.
func (s *Set) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.buckets)
}

// bucket returns key's bucket, making room for a new one. s.mu is held.
func (s *Set) bucket(key string, now time.Time) *Bucket {
	if b, ok := s.buckets[key]; ok {
		return b
	}
	if len(s.buckets) >= s.maxKeys {
		s.evict(now)
	}
	b := NewBucket(s.limit)
	s.buckets[key] = b
	return b
}

// evict drops the full buckets, then others until a quarter of the room is free.
func (s *Set) evict(now time.Time) {
	for k, b := range s.buckets {
		if b.Full(now) {
			delete(s.buckets, k)
		}
	}
	for k := range s.buckets {
		if len(s.buckets) < s.maxKeys*3/4 {
			return
		}
		delete(s.buckets, k)
	}
}
