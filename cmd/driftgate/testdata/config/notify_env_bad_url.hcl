notify "ops" {
  type    = "webhook"
  url_env = "DRIFTGATE_TEST_BAD_URL"
}
