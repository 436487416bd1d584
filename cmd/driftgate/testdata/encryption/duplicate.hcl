encryption {
  key_file = "key.b64"
}

encryption {
  key_file = "key.hex"
}
