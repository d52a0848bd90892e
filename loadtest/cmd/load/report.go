package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// target is one URL measured in every round.
type target struct {
	name string
	// min is the least ratio to the trivial server it must reach; 0: none.
	min float64
	// same is the index of the trivial run with this target's request
	// header (0: the plain one); the target is judged on that ratio.
	same int
	// yardstick marks a run of the trivial server itself.
	yardstick bool
}

// measured is a target's results over the rounds, and its ratios to the
// trivial server of the same round.
type measured struct {
	target
	runs   []wrkResult
	ratios []float64
	// sameRatios are the ratios to the trivial run of the same request.
	sameRatios []float64
}

// median returns the median of xs (the mean of the middle two for an even
// count), 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

func medianOf(runs []wrkResult, f func(wrkResult) float64) float64 {
	xs := make([]float64, len(runs))
	for i, r := range runs {
		xs[i] = f(r)
	}
	return median(xs)
}

// report is everything make load prints.
type report struct {
	header  string
	targets []measured // the first is the trivial server
	login   wrkResult
	// loginMin is the least ratio of the login rate to the bcrypt bound.
	loginMin             float64
	boundPerSec, boundMS float64
	cores                int
	idle, peak           map[string]float64 // MiB per service
	idleAnon             map[string]float64 // MiB per service: RssAnon of idle
	idleMax, peakMax     float64            // MiB
	services             []string
}

// bad counts error responses and socket errors over every run.
func (r report) bad() int64 {
	n := r.login.Bad()
	for _, m := range r.targets {
		for _, run := range m.runs {
			n += run.Bad()
		}
	}
	return n
}

// print writes the table and returns the number of targets missed.
func (r report) print(w io.Writer) (missed int) {
	verdict := func(ok bool) string {
		if ok {
			return ""
		}
		missed++
		return " MISS"
	}
	fmt.Fprintf(w, "\n%s\n\n", r.header)
	fmt.Fprintln(w, "| target                             |  req/s |   p50 ms |   p99 ms | vs trivial | vs same request | target             |")
	fmt.Fprintln(w, "| ---------------------------------- | -----: | -------: | -------: | ---------: | --------------: | ------------------ |")
	row := func(name string, rps, p50, p99 float64, ratio, same, goal string) {
		fmt.Fprintf(w, "| %-34s | %6.0f | %8.2f | %8.2f | %10s | %15s | %-18s |\n", name, rps, p50/1000, p99/1000, ratio, same, goal)
	}
	for _, m := range r.targets {
		goal, same := "", ""
		if !m.yardstick {
			same = fmt.Sprintf("%.2f", median(m.sameRatios))
		}
		if m.min > 0 {
			goal = fmt.Sprintf(">= %.2f", m.min) + verdict(median(m.sameRatios) >= m.min)
		}
		row(m.name, medianOf(m.runs, wrkResult.RPS), medianOf(m.runs, func(x wrkResult) float64 { return x.P50US }),
			medianOf(m.runs, func(x wrkResult) float64 { return x.P99US }), fmt.Sprintf("%.2f", median(m.ratios)), same, goal)
	}
	loginRatio := r.login.RPS() / r.boundPerSec
	row(fmt.Sprintf("auth-api POST /login (bound %.1f/s)", r.boundPerSec), r.login.RPS(), r.login.P50US, r.login.P99US,
		fmt.Sprintf("%.2f bound", loginRatio), "", fmt.Sprintf(">= %.2f bound", r.loginMin)+verdict(loginRatio >= r.loginMin))
	fmt.Fprintln(w)
	fmt.Fprintf(w, "bcrypt bound (auth-api hashrate): %d cores / %.1f ms per password check = %.1f logins/s\n", r.cores, r.boundMS, r.boundPerSec)
	for _, mem := range []struct {
		what  string
		mib   map[string]float64
		limit float64
	}{{"RSS idle:", r.idle, r.idleMax}, {"RSS peak:", r.peak, r.peakMax}} {
		ok := true
		var each []string
		for _, s := range r.services {
			each = append(each, fmt.Sprintf("%s %.1f MiB", s, mem.mib[s]))
			ok = ok && mem.mib[s] <= mem.limit
		}
		fmt.Fprintf(w, "%-9s %s (target <= %.0f MiB each)%s\n", mem.what, strings.Join(each, ", "), mem.limit, verdict(ok))
	}
	if r.idleAnon != nil {
		var each []string
		for _, s := range r.services {
			each = append(each, fmt.Sprintf("%s %.1f MiB", s, r.idleAnon[s]))
		}
		fmt.Fprintf(w, "of idle RSS, anonymous (heap, stacks; the rest is the binary's own pages): %s\n", strings.Join(each, ", "))
	}
	fmt.Fprintf(w, "non-2xx responses or socket errors: %d (target 0)\n", r.bad())
	return missed
}
