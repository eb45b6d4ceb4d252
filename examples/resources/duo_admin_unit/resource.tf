resource "duo_group" "emea" {
  name = "EMEA staff"
}

resource "duo_admin" "emea_helpdesk" {
  email                     = "emea-helpdesk@example.com"
  name                      = "EMEA Help Desk"
  role                      = "Help Desk"
  restricted_by_admin_units = true
}

# The EMEA help desk manages only EMEA staff.
resource "duo_admin_unit" "emea" {
  name               = "EMEA"
  description        = "Offices in Europe, the Middle East and Africa"
  restrict_by_groups = true
  admins             = [duo_admin.emea_helpdesk.id]
  groups             = [duo_group.emea.id]
}
