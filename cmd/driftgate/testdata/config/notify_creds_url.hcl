notify "ops" {
  type = "webhook"
  url  = "https://bot:hunter2@hooks.example.com/a"
}
