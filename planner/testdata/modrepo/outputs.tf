output "id" {
  value = null_resource.this.id
}
