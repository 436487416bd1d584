repo "a" {
  url      = "file:///tmp/a"
  on_drift = "revert"
}
