encryption {
  key_file = "key_garbage"
}
