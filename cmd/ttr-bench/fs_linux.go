package main

import "syscall"

// fsType names the file system holding path ("unknown" when it cannot tell).
func fsType(path string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return "unknown"
	}
	return fsName(int64(st.Type))
}
