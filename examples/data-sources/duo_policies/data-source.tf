data "duo_policies" "all" {}

output "policy_names" {
  value = data.duo_policies.all.policies[*].policy_name
}
