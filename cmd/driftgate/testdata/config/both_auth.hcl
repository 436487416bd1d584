repo "a" {
  url = "https://git.example.com/a.git"
  auth {
    token_env    = "DRIFTGATE_TEST_TOKEN"
    ssh_key_file = "key"
  }
}
