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
  url           = "https://git.example.com/acme/infra.git"
  branch        = "production"
  poll_interval = "30s"
  auth {
    token_env = "DRIFTGATE_TEST_TOKEN"
  }
}

repo "local" {
  url = "../repos/local"
}
