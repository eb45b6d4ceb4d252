# By user ID: adopts the user's existing codes. Duo never shows a code twice, so `codes`
# stays unknown to Terraform; `code_count`, `reuse_count` and `valid_secs` come from Duo.
terraform import duo_bypass_codes.ann DUXXXXXXXXXXXXXXXXXX
