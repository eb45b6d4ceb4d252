# By integration key:
terraform import duo_integration.vpn DIXXXXXXXXXXXXXXXXXX
