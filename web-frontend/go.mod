module github.com/jwt-micro-system/web-frontend

go 1.26.0

require github.com/go-chi/chi/v5 v5.5.0

replace github.com/jwt-micro-system/shared => ../shared
