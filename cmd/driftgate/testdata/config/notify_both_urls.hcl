notify "ops" {
  type    = "webhook"
  url     = "https://hooks.example.com/a"
  url_env = "DRIFTGATE_TEST_SLACK_URL"
}
