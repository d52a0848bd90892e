module github.com/jwt-micro-system/loadtest

go 1.26.0

require github.com/jwt-micro-system/shared v0.0.0

replace github.com/jwt-micro-system/shared => ../shared
