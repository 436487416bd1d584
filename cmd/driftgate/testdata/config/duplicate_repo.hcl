repo "a" {
  url = "file:///tmp/a"
}

repo "a" {
  url = "file:///tmp/b"
}
