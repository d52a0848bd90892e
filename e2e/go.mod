module github.com/jwt-micro-system/e2e

go 1.26.0

require (
	github.com/chromedp/cdproto v0.159.0
	github.com/chromedp/chromedp v0.23.0
	github.com/swaggo/files/v2 v2.0.2
)

require (
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/jwt-micro-system/shared v0.0.0
)

replace github.com/jwt-micro-system/shared => ../shared
