encryption {
  key_file = "key.hex"
}
