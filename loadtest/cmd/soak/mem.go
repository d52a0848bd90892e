package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// memSampler samples the resident set size of named processes.
type memSampler struct {
	pids map[string]int

	mu      sync.Mutex
	start   time.Time
	samples map[string][]sample
}

type sample struct {
	at  time.Duration
	kib int
}

func newMemSampler(pids map[string]int) *memSampler {
	return &memSampler{pids: pids, samples: map[string][]sample{}}
}

func (m *memSampler) run(ctx context.Context, every time.Duration) {
	m.start = time.Now()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		for name, pid := range m.pids {
			if pid <= 0 {
				continue
			}
			if kib, err := rssKiB(pid); err == nil {
				m.mu.Lock()
				m.samples[name] = append(m.samples[name], sample{time.Since(m.start), kib})
				m.mu.Unlock()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func rssKiB(pid int) (int, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}

// report prints the mean RSS of the first and last minute of the run (the
// two halves of a shorter run) and returns the relative growth per process.
// The first seconds, while the heap grows to its working size and the
// bounded caches (verified tokens, opened cookies, claims JSON) fill, are
// left out of the first window: that is warm-up, not a leak.
func (m *memSampler) report(out io.Writer, total time.Duration) map[string]float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	window := min(time.Minute, total/2).Truncate(time.Second)
	warm := min(20*time.Second, window/2)
	growth := map[string]float64{}
	for name, ss := range m.samples {
		first := mean(ss, warm, window)
		last := mean(ss, total-window, total+time.Second)
		if first == 0 || last == 0 {
			continue
		}
		g := (last - first) / first
		growth[name] = g
		fmt.Fprintf(out, "RSS %-12s first %s: %.1f MiB, last %s: %.1f MiB, growth %+.1f%%\n",
			name, window, first/1024, window, last/1024, g*100)
	}
	return growth
}

func mean(ss []sample, from, to time.Duration) float64 {
	sum, n := 0, 0
	for _, s := range ss {
		if s.at >= from && s.at < to {
			sum += s.kib
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(sum) / float64(n)
}
