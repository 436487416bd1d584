encryption {
  key_file = "key_short.b64"
}
