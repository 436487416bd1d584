notify "ops" {
  type   = "webhook"
  url    = "https://hooks.example.com/a"
  secret = "hmac-key"
}
