notify "ops hook" {
  type = "webhook"
  url  = "https://hooks.example.com/a"
}
