//go:build race

package server

// raceEnabled: the race detector slows bcrypt down some forty times, which
// makes timing measurements meaningless and slow.
const raceEnabled = true
