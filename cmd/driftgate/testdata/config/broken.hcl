repo "a" {
  url = "file:///tmp/a"
