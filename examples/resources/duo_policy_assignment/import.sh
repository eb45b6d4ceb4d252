# <policy_key>/<integration_key>
terraform import duo_policy_assignment.vpn_contractors POXXXXXXXXXXXXXXXXXX/DIXXXXXXXXXXXXXXXXXX
