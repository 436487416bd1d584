notify "team" {
  type = "slack"
  url  = "https://hooks.slack.com/services/T000/B000/abcdef"
}
