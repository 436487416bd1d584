remote_state { backend = "s3" }
