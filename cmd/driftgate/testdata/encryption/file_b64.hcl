encryption {
  key_file = "key.b64"
}
