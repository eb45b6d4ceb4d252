# Deny users who have not enrolled, everywhere no custom policy applies. Other keys of the
# global policy keep their values; destroying this restores new_user_behavior as it was.
resource "duo_global_policy" "this" {
  sections = jsonencode({
    new_user = {
      new_user_behavior = "deny"
    }
  })
}
