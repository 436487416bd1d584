resource "null_resource" "subnet" {}
