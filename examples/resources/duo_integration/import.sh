# By integration key:
terraform import duo_integration.vpn DIXXXXXXXXXXXXXXXXXX
# Or by name, when no other application has it:
terraform import duo_integration.vpn 'name:Corporate VPN'
