// Package metrics holds the Prometheus metrics of web-frontend, in their
// own registry, observed through observers bound once per label values.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/jwt-micro-system/shared/bound"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the Prometheus metrics of one server, in their own registry
// (never the global default one).
type Metrics struct {
	reg      *prometheus.Registry
	sessions *prometheus.CounterVec
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec

	// The observers of each label combination seen so far, bound once:
	// a request pays one lock-free map lookup instead of prometheus'
	// label hashing and locked lookups, and allocates nothing.
	boundRequests *bound.Cache[requestKey, requestObservers]
	boundSessions *bound.Cache[[2]string, prometheus.Counter]
}

// requestKey is what a request is counted by: the method (one of a few
// constants), chi's route patterns (router-owned strings, so building the
// key allocates nothing) and the status.
type requestKey struct {
	method string
	parts  [maxRouteParts]string
	n      int
	status int
}

// maxRouteParts is how deep a route (a router mounted in a router…) is
// keyed part by part; a deeper one is keyed by its joined pattern.
const maxRouteParts = 3

// requestObservers are the bound metrics of one requestKey.
type requestObservers struct {
	route    string // the route pattern, as chi's RoutePattern gives it
	requests prometheus.Counter
	duration prometheus.Observer
}

// NewMetrics registers the web-frontend metrics, plus the Go runtime and
// process collectors, in a new registry.
func NewMetrics() (*Metrics, error) {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		sessions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "web_frontend_sessions_total",
			Help: "Session checks by outcome (ok, refreshed, expired, invalid, unavailable) and reason.",
		}, []string{"outcome", "reason"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "web_frontend_http_requests_total",
			Help: "HTTP requests by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "web_frontend_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	m.boundRequests = bound.New(func(k requestKey) requestObservers {
		route := (&chi.Context{RoutePatterns: k.parts[:k.n]}).RoutePattern()
		if route == "" {
			route = "unmatched"
		}
		return requestObservers{
			route:    route,
			requests: m.requests.WithLabelValues(k.method, route, strconv.Itoa(k.status)),
			duration: m.duration.WithLabelValues(route),
		}
	})
	m.boundSessions = bound.New(func(k [2]string) prometheus.Counter {
		return m.sessions.WithLabelValues(k[0], k[1])
	})
	for _, c := range []prometheus.Collector{
		m.sessions, m.requests, m.duration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := m.reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Session counts one session check by outcome and reason; it is the
// session.Manager's Observe hook.
func (m *Metrics) Session(outcome, reason string) {
	m.boundSessions.Get([2]string{outcome, reason}).Inc()
}

// ObserveRequest counts a request that rc routed, and returns its route
// pattern ("unmatched" when no route matched).
func (m *Metrics) ObserveRequest(method string, rc *chi.Context, status int, d time.Duration) string {
	k := requestKey{status: status}
	// Bounded label values, and constant strings in the key.
	switch method {
	case http.MethodGet:
		k.method = http.MethodGet
	case http.MethodHead:
		k.method = http.MethodHead
	case http.MethodPost:
		k.method = http.MethodPost
	default:
		k.method = "other"
	}
	if rc != nil {
		if len(rc.RoutePatterns) <= maxRouteParts {
			k.n = copy(k.parts[:], rc.RoutePatterns)
		} else {
			k.parts[0], k.n = rc.RoutePattern(), 1
		}
	}
	o := m.boundRequests.Get(k)
	o.requests.Inc()
	o.duration.Observe(d.Seconds())
	return o.route
}
