encryption {
  key_env = "DRIFTGATE_TEST_KEY"
}
