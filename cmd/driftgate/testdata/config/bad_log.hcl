log {
  level  = "loud"
  format = "xml"
}
