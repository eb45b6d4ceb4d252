# <user_id>/<token_id>
terraform import duo_user_hardware_token.ann DUXXXXXXXXXXXXXXXXXX/DHXXXXXXXXXXXXXXXXXX
