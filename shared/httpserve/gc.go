package httpserve

import "runtime/debug"

// GCPercent is the GOGC both services run with when the environment sets
// none. Their live heap is a few MiB and every request allocates a little,
// so at Go's default of 100 the collector, whose smallest goal is 4 MiB,
// runs every few thousand requests and costs a tenth of the CPU under
// load. At 200 it runs half as often, for about 4 MiB more at the peak
// (make load checks the peak against its 32 MiB budget).
const GCPercent = 200

// TuneGC sets GCPercent unless GOGC (read through getenv) is set, which
// the Go runtime has then applied already, and returns the percent in
// force.
func TuneGC(getenv func(string) string) int {
	if getenv("GOGC") != "" {
		p := debug.SetGCPercent(-1)
		debug.SetGCPercent(p)
		return p
	}
	debug.SetGCPercent(GCPercent)
	return GCPercent
}
