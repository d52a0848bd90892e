package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// docker runs the docker CLI and returns its trimmed standard output; the
// error carries standard error, so a failure says what docker said.
func docker(ctx context.Context, args ...string) (string, error) {
	return dockerIn(ctx, nil, args...)
}

// dockerIn is docker with data on standard input (docker secret create).
func dockerIn(ctx context.Context, stdin []byte, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

// lines splits docker's output into its non-empty lines.
func lines(s string) []string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// waitFor polls cond every interval until it reports true, returns an
// error, or timeout passes.
func waitFor(ctx context.Context, what string, timeout, interval time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		last = err
		if time.Now().After(deadline) {
			if last != nil {
				return fmt.Errorf("%s: not within %s: %w", what, timeout, last)
			}
			return fmt.Errorf("%s: not within %s", what, timeout)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, ctx.Err())
		case <-time.After(interval):
		}
	}
}

// serviceContainers lists the ids of the running task containers of a
// stack's service.
func serviceContainers(ctx context.Context, stack, service string) ([]string, error) {
	out, err := docker(ctx, "ps", "-q", "--filter", "label=com.docker.swarm.service.name="+stack+"_"+service)
	if err != nil {
		return nil, err
	}
	return lines(out), nil
}

// healthyTasks counts the running containers of a service whose
// healthcheck passes.
func healthyTasks(ctx context.Context, stack, service string) (int, error) {
	out, err := docker(ctx, "ps", "-q", "--filter", "label=com.docker.swarm.service.name="+stack+"_"+service, "--filter", "health=healthy")
	if err != nil {
		return 0, err
	}
	return len(lines(out)), nil
}
