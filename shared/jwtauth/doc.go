// Package jwtauth holds everything both services need to agree on about
// access tokens: the claims, the one Issuer (auth-api) and the one Verifier
// (auth-api and web-frontend). The keys come from package secretkey.
//
// Tokens are HS256 JWTs signed with SECRET_KEY itself, so any standard JWT
// library can check them with that key. The Verifier is deliberately strict:
// golang-jwt pins HS256 and checks exp (required), nbf, iat, iss and aud
// (when configured) with at most 30 seconds of leeway; keys are looked up by
// kid among the service's own keys only, and the work done on hostile input
// is bounded. Every rejection carries a Reason that callers can log, count
// and explain.
package jwtauth
