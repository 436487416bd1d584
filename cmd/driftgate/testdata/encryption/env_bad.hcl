encryption {
  key_env = "DRIFTGATE_TEST_BAD_KEY"
}
