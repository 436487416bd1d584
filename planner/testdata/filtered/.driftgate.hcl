discover {
  include = ["live/**", "wrappers/**"]
  exclude = ["wrappers/**"]
}
