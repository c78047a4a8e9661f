package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc: 100 on every Linux architecture Go
// supports (sysconf(_SC_CLK_TCK) would need cgo).
const clockTicks = 100

// procCPU is the CPU time (user + system) a process has used, in seconds, from /proc/<pid>/stat.
func procCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(b)
}

// parseStatCPU reads utime and stime (fields 14 and 15) of a /proc/<pid>/stat line. The command
// name (field 2) may hold spaces and parentheses, so fields are counted after its last ')'.
func parseStatCPU(b []byte) (float64, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed stat %q", b)
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, fmt.Errorf("malformed stat %q", b)
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("malformed stat %q", b)
	}
	return float64(utime+stime) / clockTicks, nil
}

// procPeakRSS is a process's peak resident set size in bytes (VmHWM of /proc/<pid>/status).
func procPeakRSS(pid int) (int64, error) { return procStatusBytes(pid, "VmHWM") }

// procRSS is a process's resident set size in bytes now (VmRSS of /proc/<pid>/status).
func procRSS(pid int) (int64, error) { return procStatusBytes(pid, "VmRSS") }

// procStatusBytes reads a "<key>: <n> kB" line of /proc/<pid>/status, in bytes.
func procStatusBytes(pid int, key string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), key+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s %q: %w", key, rest, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", key, pid)
}

// postgresCPU sums the CPU time of the PostgreSQL processes that serve database db: its client
// backends and the shared background processes (postmaster, WAL writer, checkpointer, …), but
// not the backends or autovacuum workers of other databases (tests of other sessions may be
// using the same server).
func postgresCPU(db string) (float64, error) {
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return 0, err
	}
	var sum float64
	for _, d := range dirs {
		comm, err := os.ReadFile(d + "/comm")
		if err != nil || strings.TrimSpace(string(comm)) != "postgres" {
			continue
		}
		cmdline, err := os.ReadFile(d + "/cmdline")
		if err != nil || !postgresProcessCounts(string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})), db) {
			continue
		}
		b, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue // it ended meanwhile
		}
		cpu, err := parseStatCPU(b)
		if err != nil {
			return 0, err
		}
		sum += cpu
	}
	return sum, nil
}

// postgresProcessCounts says whether a postgres process, by its command line, works for db.
// Backends show "postgres: <user> <db> <host>(<port>) <state>" (or "[local]"), autovacuum
// workers "postgres: <cluster>: autovacuum worker <db>"; the rest serve every database.
func postgresProcessCounts(cmdline, db string) bool {
	words := strings.Fields(cmdline)
	isBackend := strings.Contains(cmdline, "(") || strings.Contains(cmdline, "[local]")
	isVacuum := strings.Contains(cmdline, "autovacuum worker")
	if !isBackend && !isVacuum {
		return true
	}
	for _, w := range words {
		if w == db {
			return true
		}
	}
	return false
}

// machineCPU is the busy and total CPU time of the whole machine in seconds (all cores, from the
// first line of /proc/stat); busy excludes idle and iowait.
func machineCPU() (busy, total float64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 8 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("malformed /proc/stat %q", line)
	}
	var ticks [10]uint64
	for i := 1; i < len(f) && i <= len(ticks); i++ {
		ticks[i-1], _ = strconv.ParseUint(f[i], 10, 64)
	}
	// user nice system idle iowait irq softirq steal (guest times are inside user already)
	var all uint64
	for _, t := range ticks[:8] {
		all += t
	}
	idle := ticks[3] + ticks[4]
	return float64(all-idle) / clockTicks, float64(all) / clockTicks, nil
}

// loadAverage is the first three fields of /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// fsName names a file system by the magic number statfs reports, for the durability note (a
// store on tmpfs would make fsync free and flatter the result).
func fsName(magic int64) string {
	switch magic {
	case 0xEF53:
		return "ext4"
	case 0x01021994:
		return "tmpfs"
	case 0x58465342:
		return "xfs"
	case 0x9123683E:
		return "btrfs"
	case 0x794C7630:
		return "overlayfs"
	case 0x2FC12FC1:
		return "zfs"
	case 0x6969:
		return "nfs"
	}
	return "unknown"
}
