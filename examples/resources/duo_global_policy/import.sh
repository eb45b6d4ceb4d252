# The global policy has the fixed ID "global":
terraform import duo_global_policy.this global
