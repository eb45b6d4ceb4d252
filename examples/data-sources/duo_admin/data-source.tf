resource "duo_admin" "a" {
  email = "secops@example.com"
  name  = "SecOps"
  role  = "Read-only"
}

data "duo_admin" "secops" {
  email = duo_admin.a.email
}

output "secops_status" {
  value = data.duo_admin.secops.status
}
