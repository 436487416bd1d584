web_size    = "medium"
db_password = "quickstart-not-a-real-secret"
