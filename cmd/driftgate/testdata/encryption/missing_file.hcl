encryption {
  key_file = "no_such_key"
}
