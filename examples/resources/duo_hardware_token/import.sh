# By token ID. Duo never returns secrets: leave them out of the imported configuration.
terraform import duo_hardware_token.ann DHXXXXXXXXXXXXXXXXXX
# Or by type and serial number, which Duo keeps unique:
terraform import duo_hardware_token.ann h6:123456
