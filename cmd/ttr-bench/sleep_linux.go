package main

import (
	"syscall"
	"time"
	"unsafe"
)

// prSetTimerSlack is PR_SET_TIMERSLACK from <linux/prctl.h>.
const prSetTimerSlack = 29

// preciseSleepSetup lowers the calling thread's timer slack to 1 ns (the default is 50 µs), so
// nanosleep wakes as close to its deadline as the kernel can. Call it on a locked OS thread.
func preciseSleepSetup() {
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1, 0)
}

// preciseSleep blocks the calling thread in nanosleep for d without telling the Go scheduler
// (a raw system call): the goroutine keeps its P, so on waking it runs at once instead of
// queueing for a P behind the load workers. The caller accounts for the P it holds.
func preciseSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	for {
		var left syscall.Timespec
		_, _, errno := syscall.RawSyscall(syscall.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), uintptr(unsafe.Pointer(&left)), 0)
		if errno != syscall.EINTR {
			return
		}
		ts = left
	}
}
