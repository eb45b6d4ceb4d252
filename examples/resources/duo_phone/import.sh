# By phone ID:
terraform import duo_phone.ann_mobile DPXXXXXXXXXXXXXXXXXX
