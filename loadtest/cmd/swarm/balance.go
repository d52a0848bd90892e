package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

// backends is what a load balancer in front of the stack would do: it knows
// the healthy tasks of each service and spreads connections over them,
// trying the next one when a connection is refused (a task that has just
// stopped). With the routing mesh each service has one address, the
// published port; without it (engines with no IPVS, like this CI machine)
// every task publishes its own host port and backends finds them with
// docker ps.
type backends struct {
	mu    sync.Mutex
	addrs map[string][]backend // service → healthy tasks
	next  map[string]int
	gone  map[string]bool // containers killed on purpose: no new connections
}

type backend struct {
	addr, name string // host:port; the task's name (service.slot)
	container  string // the task container's name
}

func newBackends() *backends {
	return &backends{addrs: map[string][]backend{}, next: map[string]int{}, gone: map[string]bool{}}
}

// set replaces the backends of a service.
func (b *backends) set(service string, list []backend) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.addrs[service] = list
}

// order returns the service's backends, starting with the next in turn.
func (b *backends) order(service string) []backend {
	b.mu.Lock()
	defer b.mu.Unlock()
	var list []backend
	for _, be := range b.addrs[service] {
		if !b.gone[be.container] {
			list = append(list, be)
		}
	}
	if len(list) == 0 {
		return nil
	}
	i := b.next[service] % len(list)
	b.next[service]++
	return append(append([]backend(nil), list[i:]...), list[:i]...)
}

// kill marks a task container as gone, as a load balancer's health check
// would notice; requests in flight on it are not saved.
func (b *backends) kill(container string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.gone[container] = true
}

// nameOf returns the task name behind addr, or addr.
func (b *backends) nameOf(service, addr string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, be := range b.addrs[service] {
		if be.addr == addr {
			return be.name
		}
	}
	return addr
}

// dial connects to a backend of the service named by addr's host
// ("web-frontend:80"), trying the others on failure.
func (b *backends) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	service, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	list := b.order(service)
	if len(list) == 0 {
		return nil, fmt.Errorf("no healthy %s task", service)
	}
	var errs []error
	d := net.Dialer{Timeout: 2 * time.Second}
	for _, be := range list {
		conn, err := d.DialContext(ctx, network, be.addr)
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// watch keeps the backends of the stack's services current until ctx ends:
// the healthy task containers and their published host ports.
func (b *backends) watch(ctx context.Context, stack string, targets map[string]string) {
	for {
		for service, port := range targets {
			if list, err := healthyBackends(ctx, stack, service, port); err == nil {
				b.set(service, list)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// healthyBackends lists the healthy task containers of a service that swarm
// wants running, with the host port each publishes for the container port.
// A task being stopped (rolling update, scale down) is left out at once, as
// the routing mesh would: its in-flight requests still finish.
func healthyBackends(ctx context.Context, stack, service, port string) ([]backend, error) {
	wanted, err := docker(ctx, "service", "ps", stack+"_"+service, "--filter", "desired-state=running",
		"--no-trunc", "--format", "{{.Name}}.{{.ID}}")
	if err != nil {
		return nil, err
	}
	running := map[string]bool{}
	for _, name := range lines(wanted) {
		running[name] = true
	}
	out, err := docker(ctx, "ps", "--filter", "label=com.docker.swarm.service.name="+stack+"_"+service,
		"--filter", "health=healthy", "--format", "{{.Names}}\t{{.Ports}}")
	if err != nil {
		return nil, err
	}
	var list []backend
	for _, l := range lines(out) {
		name, ports, _ := strings.Cut(l, "\t")
		if !running[name] {
			continue
		}
		// "0.0.0.0:32786->10000/tcp, [::]:32786->10000/tcp"
		for p := range strings.SplitSeq(ports, ", ") {
			host, target, ok := strings.Cut(p, "->")
			if !ok || target != port+"/tcp" || !strings.HasPrefix(host, "0.0.0.0:") {
				continue
			}
			task, _, _ := strings.Cut(strings.TrimPrefix(name, stack+"_"), ".")
			slot := strings.Split(name, ".")
			if len(slot) > 1 {
				task += "." + slot[1]
			}
			list = append(list, backend{addr: "127.0.0.1:" + strings.TrimPrefix(host, "0.0.0.0:"), name: task, container: name})
		}
	}
	return list, nil
}
