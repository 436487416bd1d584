notify "ops" {
  type   = "webhook"
  url    = "https://hooks.example.com/a"
  events = ["drift_found", "drift_fixed"]
}
