notify "ops" {
  type = "webhook"
  url  = "ftp://hooks.example.com/a"
}
