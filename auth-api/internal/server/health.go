package server

import (
	"context"
	_ "embed"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jwt-micro-system/shared/secretkey"

	"github.com/jwt-micro-system/auth-api/internal/observe"
)

//go:embed openapi.yaml
var openAPIDocument []byte

// handleHealthz answers {"status":"ok"}, from bytes made once.
func handleHealthz() gin.HandlerFunc {
	body, contentType := []byte(`{"status":"ok"}`), []string{jsonContentType}
	return func(c *gin.Context) {
		writeJSONBytes(c, http.StatusOK, contentType, body)
	}
}

// handleReadyz reports whether the store answers.
func handleReadyz(st Pinger) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		if err := st.Ping(ctx); err != nil {
			observe.Logger(c).Error("readiness check failed", "err", err)
			fail(c, &apiError{status: http.StatusServiceUnavailable, code: "not_ready", message: "the database is not reachable"})
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "ready"})
	}
}

func handleOpenAPI() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Data(http.StatusOK, "application/yaml; charset=utf-8", openAPIDocument)
	}
}

// tokenKeyResponse describes the signing key without revealing it, so the
// web-frontend can check that it holds the same SECRET_KEY.
type tokenKeyResponse struct {
	Alg         string `json:"alg"`
	Kid         string `json:"kid"`
	PreviousKid string `json:"previous_kid,omitempty"`
	Issuer      string `json:"issuer"`
	Audience    string `json:"audience,omitempty"`
}

func handleTokenKey(keys *secretkey.Keys, issuer, audience string) gin.HandlerFunc {
	resp := tokenKeyResponse{Alg: "HS256", Kid: keys.Current().ID(), Issuer: issuer, Audience: audience}
	if prev, ok := keys.Previous(); ok {
		resp.PreviousKid = prev.ID()
	}
	return func(c *gin.Context) {
		c.JSON(http.StatusOK, resp)
	}
}
