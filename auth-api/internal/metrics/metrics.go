// Package metrics is auth-api's Prometheus instrumentation: requests by
// method, route and status with their latency, login and refresh outcomes
// and refused access tokens, in a registry of its own (no global registry,
// so tests can run many servers), with the Go and process collectors.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/jwt-micro-system/shared/bound"
	"github.com/jwt-micro-system/shared/httpserve"
	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the service's Prometheus metrics.
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	logins     *prometheus.CounterVec
	refreshes  *prometheus.CounterVec
	rejections *prometheus.CounterVec

	// The observers of each label combination seen so far, bound once:
	// a request pays one lock-free map lookup instead of prometheus'
	// label hashing and locked lookups, and allocates nothing.
	boundRequests *bound.Cache[requestKey, requestObservers]
}

// requestKey is what a request is counted by: the method (one of a few
// constants), the route (the router's own string) and the status.
type requestKey struct {
	method, route string
	status        int
}

// requestObservers are the bound metrics of one requestKey.
type requestObservers struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

// New returns the metrics, registered.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auth_api_http_requests_total", Help: "HTTP requests by method, route and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "auth_api_http_request_duration_seconds", Help: "HTTP request latency by method, route and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route", "status"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auth_api_logins_total", Help: "Login attempts by outcome.",
		}, []string{"outcome"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auth_api_refreshes_total", Help: "Refresh attempts by outcome.",
		}, []string{"outcome"}),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auth_api_token_rejections_total", Help: "Access tokens refused, by reason.",
		}, []string{"reason"}),
	}
	m.boundRequests = bound.New(func(k requestKey) requestObservers {
		code := strconv.Itoa(k.status)
		return requestObservers{
			requests: m.requests.WithLabelValues(k.method, k.route, code),
			latency:  m.latency.WithLabelValues(k.method, k.route, code),
		}
	})
	m.reg.MustRegister(m.requests, m.latency, m.logins, m.refreshes, m.rejections,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Request counts one request and its latency; route is the router's
// pattern ("unmatched" for none).
func (m *Metrics) Request(method, route string, status int, d time.Duration) {
	o := m.boundRequests.Get(requestKey{method: methodLabel(method), route: route, status: status})
	o.requests.Inc()
	o.latency.Observe(d.Seconds())
}

// methodLabel is the label value of a request method. Clients choose the
// method; only the known ones are counted under their name, so made-up
// methods cannot create unbounded series, and the label holds the constant,
// never the request's own string.
func methodLabel(method string) string {
	for _, known := range [...]string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions} {
		if method == known {
			return known
		}
	}
	return "other"
}

// Login counts a login attempt by outcome.
func (m *Metrics) Login(outcome string) { m.logins.WithLabelValues(outcome).Inc() }

// Refresh counts a refresh attempt by outcome.
func (m *Metrics) Refresh(outcome string) { m.refreshes.WithLabelValues(outcome).Inc() }

// TokenRejected counts an access token refused, by reason.
func (m *Metrics) TokenRejected(reason jwtauth.Reason) {
	m.rejections.WithLabelValues(string(reason)).Inc()
}

// Handler serves the Prometheus exposition; with a token, only to requests
// that carry it as Authorization: Bearer <token>.
func (m *Metrics) Handler(token string) http.Handler {
	return httpserve.RequireBearer(token, "METRICS_TOKEN", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
}
