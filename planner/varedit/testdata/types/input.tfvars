# Production app settings.
image_tag = "v1.4.1" # set by CI
replicas  = 3
region    = "eu-west-1"

/* feature flags */
enable_cdn = false
