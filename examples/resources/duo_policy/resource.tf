# The well-known sections as blocks; any other section as JSON. Only the keys given are
# managed: Duo fills in its defaults for the rest of each section.
resource "duo_policy" "strict" {
  policy_name = "Strict"

  authentication_methods {
    blocked_auth_list = ["sms", "phonecall"]
  }

  new_user {
    new_user_behavior = "deny"
  }

  sections = jsonencode({
    screen_lock = {
      require_screen_lock = true
    }
  })
}
