encryption {
  key_file = "key.b64"
  key_env  = "DRIFTGATE_TEST_KEY"
}
