module github.com/jwt-micro-system/e2e

go 1.26.0
