module github.com/jwt-micro-system/shared

go 1.26.0

require (
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/hashicorp/golang-lru/v2 v2.0.7
	github.com/joho/godotenv v1.5.1
)

require github.com/ccojocar/zxcvbn-go v1.0.4
