notify "ops" {
  url = "https://hooks.example.com/a"
}
