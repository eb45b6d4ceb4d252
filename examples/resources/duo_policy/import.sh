# By policy key:
terraform import duo_policy.strict POXXXXXXXXXXXXXXXXXX
# Or by policy name, when no other policy has it:
terraform import duo_policy.strict 'name:Strict'
