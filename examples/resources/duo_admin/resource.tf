resource "duo_admin" "help_desk" {
  email                 = "helpdesk@example.com"
  name                  = "Help Desk"
  phone                 = "+15555550100"
  role                  = "Help Desk"
  send_activation_email = false
}
