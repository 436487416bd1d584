notify "ops" {
  type = "email"
  url  = "https://hooks.example.com/a"
}
