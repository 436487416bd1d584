notify "ops" {
  type = "webhook"
}
