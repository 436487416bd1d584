# Production app settings.
image_tag = "v1.4.1" # set by CI
replicas  = 4
region    = "eu-west-1"

/* feature flags */
enable_cdn = false
zones      = ["a", "b"]
tags = {
  team = "web"
  tier = "1"
}
