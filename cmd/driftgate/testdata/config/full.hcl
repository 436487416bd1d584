data_dir          = "data"
listen            = "0.0.0.0:9090"
max_parallel_runs = 3
token_file        = "token"
shutdown_timeout  = "45s"

log {
  level  = "debug"
  format = "json"
}

terraform {
  version = "1.11.4"
  install = false
}

repo "infra" {
  url            = "https://git.example.com/acme/infra.git"
  branch         = "production"
  poll_interval  = "30s"
  drift_schedule = "@hourly"
  on_drift       = "plan"
  auth {
    token_env = "DRIFTGATE_TEST_TOKEN"
  }
}

repo "mirror" {
  url = "../repos/local"
}

notify "ops-webhook" {
  type       = "webhook"
  url        = "https://hooks.example.com/driftgate"
  secret_env = "DRIFTGATE_TEST_WEBHOOK_SECRET"
  events     = ["drift_found", "drift_resolved"]
  repos      = ["infra"]
}

notify "team-slack" {
  type    = "slack"
  url_env = "DRIFTGATE_TEST_SLACK_URL"
}
