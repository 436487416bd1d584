notify "ops" {
  type       = "webhook"
  url_env    = "DRIFTGATE_TEST_UNSET_VAR"
  secret_env = "DRIFTGATE_TEST_UNSET_SECRET"
}
