encryption {
  key_env = "DRIFTGATE_TEST_UNSET_KEY"
}
