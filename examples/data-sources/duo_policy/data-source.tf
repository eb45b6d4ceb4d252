data "duo_policy" "global" {
  global = true
}

output "global_new_user_behavior" {
  value = jsondecode(data.duo_policy.global.sections).new_user.new_user_behavior
}
