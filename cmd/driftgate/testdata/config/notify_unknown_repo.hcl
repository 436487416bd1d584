repo "infra" {
  url = "file:///tmp/infra"
}

notify "ops" {
  type  = "webhook"
  url   = "https://hooks.example.com/a"
  repos = ["infra", "infar"]
}
