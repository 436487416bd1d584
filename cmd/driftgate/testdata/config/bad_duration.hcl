repo "a" {
  url           = "file:///tmp/a"
  poll_interval = "5 minutes"
}
