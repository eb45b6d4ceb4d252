resource "duo_group" "engineering" {
  name = "Engineering"
  desc = "Everyone who ships code"
}

# Members of this group skip two-factor authentication: keep it small and audited.
resource "duo_group" "break_glass" {
  name   = "Break glass"
  desc   = "Emergency access accounts"
  status = "bypass"
}
