module "app" { source = "../../live/app" }
