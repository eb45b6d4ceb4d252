# By token ID. Duo never returns secrets: leave them out of the imported configuration.
terraform import duo_hardware_token.ann DHXXXXXXXXXXXXXXXXXX
