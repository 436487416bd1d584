# Production app settings.
image_tag = "v2 \"quoted\" $${not.interp}" # set by CI
replicas  = 5
region    = "us-east-1"

/* feature flags */
enable_cdn = true
