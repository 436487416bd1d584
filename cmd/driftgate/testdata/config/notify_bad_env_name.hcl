notify "team" {
  type    = "slack"
  url_env = "https://hooks.slack.com/services/T000/B000/abcdef"
}
