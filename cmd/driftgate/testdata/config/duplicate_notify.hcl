notify "ops" {
  type = "webhook"
  url  = "https://hooks.example.com/a"
}

notify "ops" {
  type = "webhook"
  url  = "https://hooks.example.com/b"
}
