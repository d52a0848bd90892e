// Command swarm runs jwt-micro-system on Docker Swarm (deploy/stack.yml):
//
//	swarm up     build the images offline, create the secrets, deploy the stack
//	swarm down   remove what up made (and the swarm, if up created it)
//	swarm e2e    on a fresh single-node swarm, under steady mixed load: replicas
//	             share sessions, a killed task loses none, a PostgreSQL restart
//	             keeps sessions, rolling updates fail nothing, the brute-force
//	             limit and logouts hold across replicas; then removes it all
//
// It drives the docker CLI; `make swarm-up`, `make swarm-down` and
// `make swarm-e2e` call it from the repository root.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "swarm: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: %s up|down|e2e", args[0])
	}
	switch args[1] {
	case "up":
		return up(ctx, getenv, stdout)
	case "down":
		return down(ctx, stdout)
	case "e2e":
		return e2e(ctx, getenv, stdout)
	}
	return fmt.Errorf("unknown command %q: use up, down or e2e", args[1])
}
