package jwtauth_test

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/shared/secretkey"
)

// newSecret is what openssl rand -base64 48 prints.
func newSecret() string {
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func Example() {
	// Both services build the same keys from SECRET_KEY (and
	// SECRET_KEY_PREVIOUS during a rotation).
	keys, err := secretkey.NewKeys(newSecret(), "")
	if err != nil {
		fmt.Println(err)
		return
	}
	now := func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }

	// auth-api issues...
	issuer, _ := jwtauth.NewIssuer(keys, jwtauth.IssuerConfig{TTL: 30 * time.Minute, Now: now})
	token, _, _ := issuer.Issue("alice", "admin")

	// ...and every service verifies with the one Verifier.
	verifier, _ := jwtauth.NewVerifier(keys, jwtauth.VerifierConfig{Leeway: 5 * time.Second, Now: now})
	claims, err := verifier.Verify(token)
	if err != nil {
		fmt.Println("rejected:", jwtauth.ReasonOf(err))
		return
	}
	fmt.Println(claims.Subject, claims.Role, claims.Issuer, claims.Expiry().Format(time.RFC3339))
	// Output: alice admin auth-api 2026-11-22T12:30:00Z
}

func ExampleVerifier_Verify_rejected() {
	keys, _ := secretkey.NewKeys(newSecret(), "")
	verifier, _ := jwtauth.NewVerifier(keys, jwtauth.VerifierConfig{})

	// An unsigned token ("alg":"none") is refused, with a reason to log.
	_, err := verifier.Verify("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhbGljZSIsInJvbGUiOiJhZG1pbiJ9.")
	fmt.Println(jwtauth.ReasonOf(err))
	// Output: bad_algorithm
}

func ExampleVerifier_Verify_expired() {
	keys, _ := secretkey.NewKeys(newSecret(), "")
	issued := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	issuer, _ := jwtauth.NewIssuer(keys, jwtauth.IssuerConfig{TTL: time.Minute, Now: func() time.Time { return issued }})
	token, _, _ := issuer.Issue("alice", "user")

	// An hour later, beyond any leeway, golang-jwt refuses it; the Reason
	// says why, and golang-jwt's error is still there underneath.
	later := func() time.Time { return issued.Add(time.Hour) }
	verifier, _ := jwtauth.NewVerifier(keys, jwtauth.VerifierConfig{Leeway: 5 * time.Second, Now: later})
	_, err := verifier.Verify(token)
	fmt.Println(jwtauth.ReasonOf(err), errors.Is(err, jwt.ErrTokenExpired))
	// Output: expired true
}
