//go:build !linux

package main

import "time"

// preciseSleepSetup does nothing where there is no timer slack to lower.
func preciseSleepSetup() {}

// preciseSleep falls back to the runtime's timers.
func preciseSleep(d time.Duration) { time.Sleep(d) }
