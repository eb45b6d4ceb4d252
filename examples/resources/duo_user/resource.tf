resource "duo_user" "ann" {
  username  = "ann"
  realname  = "Ann Example"
  firstname = "Ann"
  lastname  = "Example"
  email     = "ann@example.com"
  alias1    = "ann.example"
  notes     = "Managed by Terraform"
}
