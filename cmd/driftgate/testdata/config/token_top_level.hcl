token = "my-actual-api-token"
