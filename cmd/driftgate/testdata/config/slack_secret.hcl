notify "team" {
  type       = "slack"
  url_env    = "DRIFTGATE_TEST_SLACK_URL"
  secret_env = "DRIFTGATE_TEST_WEBHOOK_SECRET"
}
