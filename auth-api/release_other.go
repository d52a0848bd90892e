//go:build !linux

package main

import "runtime/debug"

// releaseStartupMemory gives back to the OS the heap of the migrations and
// the bootstrap admin.
func releaseStartupMemory() error {
	debug.FreeOSMemory()
	return nil
}
