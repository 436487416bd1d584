resource "null_resource" "this" {
  triggers = {
    user_data = templatefile("${path.module}/templates/user_data.sh.tpl", { name = var.name })
    policies  = join(",", [for f in fileset(path.module, "policies/*.json") : file("${path.module}/${f}")])
  }
}

module "sub" {
  source = "./modules/sub"
  name   = var.name
}
