repo "a" {
  url    = "file:///tmp/a"
  banch  = "main"
}
