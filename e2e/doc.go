// Package e2e holds the end-to-end tests of the stack: both real binaries,
// built from this workspace, started on loopback ports with PORT=0 and
// driven over HTTP.
//
// The helpers in stack_test.go (StartStack, StartAuthAPI, StartFrontend,
// NewClient, Client.Login, …) are meant for every end-to-end test in this
// package, browser tests included.
package e2e
