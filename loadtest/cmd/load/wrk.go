package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// wrkJob is one wrk run against one URL.
type wrkJob struct {
	url            string
	threads, conns int
	duration       time.Duration
	headers        []string // "Name: value", passed as -H
	// method and body make a POST of JSON (the login run).
	method, body string
}

// wrkResult is what wrk's done hook reports (see luaScript).
type wrkResult struct {
	Requests     int64   `json:"requests"`
	DurationUS   int64   `json:"duration_us"`
	StatusErrors int64   `json:"status_errors"` // responses >= 400
	Connect      int64   `json:"connect"`
	Read         int64   `json:"read"`
	Write        int64   `json:"write"`
	Timeout      int64   `json:"timeout"`
	P50US        float64 `json:"p50_us"`
	P99US        float64 `json:"p99_us"`
}

// RPS is requests per second over the run.
func (r wrkResult) RPS() float64 {
	if r.DurationUS <= 0 {
		return 0
	}
	return float64(r.Requests) / (float64(r.DurationUS) / 1e6)
}

// Bad counts the error responses and socket errors.
func (r wrkResult) Bad() int64 { return r.StatusErrors + r.Connect + r.Read + r.Write + r.Timeout }

// resultPrefix marks the line the Lua done hook writes.
const resultPrefix = "LOADTEST-RESULT "

// luaScript returns the wrk script of a job: the request (for a POST) and
// a done hook that prints the summary as one JSON line. Without a request
// or response function wrk keeps its fast path: the script costs nothing
// per request.
func luaScript(j wrkJob) string {
	var b strings.Builder
	if j.method != "" {
		fmt.Fprintf(&b, "wrk.method = %s\nwrk.body = %s\nwrk.headers[\"Content-Type\"] = \"application/json\"\n",
			strconv.Quote(j.method), strconv.Quote(j.body))
	}
	b.WriteString(`done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('` + resultPrefix + `{"requests":%d,"duration_us":%d,"status_errors":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`)
	return b.String()
}

// parseResult finds the done hook's line in wrk's output.
func parseResult(out []byte) (wrkResult, error) {
	for line := range bytes.SplitSeq(out, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(bytes.TrimSpace(line), []byte(resultPrefix)); ok {
			var r wrkResult
			if err := json.Unmarshal(rest, &r); err != nil {
				return wrkResult{}, fmt.Errorf("wrk result %q: %w", rest, err)
			}
			return r, nil
		}
	}
	return wrkResult{}, errors.New("wrk printed no result line")
}

// runWrk runs wrk for one job; dir holds its script.
func runWrk(ctx context.Context, dir string, j wrkJob) (wrkResult, error) {
	script, err := os.CreateTemp(dir, "wrk-*.lua")
	if err != nil {
		return wrkResult{}, err
	}
	defer os.Remove(script.Name())
	if _, err := script.WriteString(luaScript(j)); err != nil {
		return wrkResult{}, err
	}
	if err := script.Close(); err != nil {
		return wrkResult{}, err
	}
	args := []string{"-t", strconv.Itoa(j.threads), "-c", strconv.Itoa(j.conns),
		"-d", strconv.Itoa(max(1, int(j.duration.Round(time.Second).Seconds()))) + "s",
		"--timeout", "30s", "-s", filepath.Clean(script.Name())}
	for _, h := range j.headers {
		args = append(args, "-H", h)
	}
	cmd := exec.CommandContext(ctx, "wrk", append(args, j.url)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk %s: %w\n%s", j.url, err, out)
	}
	return parseResult(out)
}
