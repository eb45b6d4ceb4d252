# By policy key:
terraform import duo_policy.strict POXXXXXXXXXXXXXXXXXX
